import { EXIT } from '../cli-defaults.js';
import { chartStyle, formatWeeklyChart, parseWeeklyAnswer } from '../weekly/weekly-chart.js';
import { weeklyUrl, type WeeklyQuery } from '../weekly/weekly-request.js';
import { err, out } from './output.js';

export interface WeeklyCommandOptions extends WeeklyQuery {
  queryApi: string;
  /** Print the query-api's answer as it came (JSON), not the chart. */
  json?: boolean;
  /** API_TOKEN of the platform (reads are open; sent when given, for a proxy that guards everything). */
  token?: string;
}

/** Longer than the query-api's own statement timeout (QUERY_API_STATEMENT_TIMEOUT_MS, 30 s by default): its 503 says more than ours. */
const REQUEST_TIMEOUT_MS = 65_000;

/**
 * `trips weekly`: GET /api/v1/trips/weekly-average on the query-api, printed as a bar chart of the
 * weekly series and the average (or, with --json, the answer itself). Exit 0 on an answer, 2 when
 * the API refuses the question (its code and message printed), 3 when it cannot answer.
 */
export async function weeklyCommand(options: WeeklyCommandOptions): Promise<number> {
  const url = weeklyUrl(options.queryApi, options);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    text = await res.text();
  } catch (error) {
    err([`trips: cannot reach the query-api at ${options.queryApi}: ${(error as Error).message}`]);
    return EXIT.unreachable;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.status !== 200) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    // --json: the error answer too, for a script that reads stdout.
    if (options.json && body !== undefined) out([JSON.stringify(body, null, 2)]);
    err([
      error?.code
        ? `trips: query refused: HTTP ${res.status} ${error.code}: ${error.message ?? ''}`
        : `trips: query failed: HTTP ${res.status} ${text.slice(0, 200)}`,
    ]);
    return res.status >= 500 ? EXIT.unreachable : EXIT.rejected;
  }
  const answer = parseWeeklyAnswer(body);
  if (!answer) {
    err([`trips: ${url.toString()} did not answer a weekly average: ${text.slice(0, 200)}`]);
    return EXIT.unreachable;
  }
  out(
    options.json ? [JSON.stringify(body, null, 2)] : formatWeeklyChart(answer, chartStyle(process.stdout, process.env)),
  );
  return EXIT.completed;
}
