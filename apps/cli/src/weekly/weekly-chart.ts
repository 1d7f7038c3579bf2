/**
 * `trips weekly`'s output: the query-api's weekly-average answer as a bar chart, one line per week,
 * and the average with the weeks it divided by. Pure: no I/O, the terminal's traits are parameters.
 *
 * Invariants (weekly-chart.spec.ts): one line per week of the series, in order; a bar's length is
 * proportional to its count, the largest count filling the width; a week with trips always shows a
 * mark, a week without none; plain output holds only ASCII and no escape sequence.
 */

export interface WeekCount {
  weekStart: string;
  trips: number;
}

/** The fields of GET /api/v1/trips/weekly-average this command reads. */
export interface WeeklyAnswer {
  filter: {
    region?: string;
    bbox?: number[];
    match?: string;
    datasource?: string;
  };
  from: string | null;
  to: string | null;
  /** `period` or `active`; absent from a query-api older than the option (which meant `period`). */
  weeksMode: string;
  weeks: number;
  /** Weeks with trips; null from an older query-api. */
  activeWeeks: number | null;
  totalTrips: number;
  weeklyAverage: number;
  series: WeekCount[];
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Checks the answer's shape; undefined when it is not a weekly-average answer. */
export function parseWeeklyAnswer(body: unknown): WeeklyAnswer | undefined {
  const b = body as Partial<Record<keyof WeeklyAnswer, unknown>> | null;
  if (!b || typeof b !== 'object' || !Array.isArray(b.series)) return undefined;
  if (!isCount(b.weeks) || !isCount(b.totalTrips) || !isCount(b.weeklyAverage)) return undefined;
  const series: WeekCount[] = [];
  for (const w of b.series as { weekStart?: unknown; trips?: unknown }[]) {
    if (!w || typeof w.weekStart !== 'string' || !isCount(w.trips)) return undefined;
    series.push({ weekStart: w.weekStart, trips: w.trips });
  }
  const date = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    filter: b.filter && typeof b.filter === 'object' ? b.filter : {},
    from: date(b.from),
    to: date(b.to),
    weeksMode: typeof b.weeksMode === 'string' ? b.weeksMode : 'period',
    weeks: b.weeks,
    activeWeeks: isCount(b.activeWeeks) ? b.activeWeeks : null,
    totalTrips: b.totalTrips,
    weeklyAverage: b.weeklyAverage,
    series,
  };
}

export interface ChartStyle {
  /** Columns available for a whole line (the terminal's width, or 80 when not a terminal). */
  columns: number;
  /** Unicode block characters (eighths of a cell) rather than ASCII `#`. */
  unicode: boolean;
  /** ANSI colour for the bars. */
  color: boolean;
}

/** Not a terminal: ASCII only, no colour, 80 columns — what logs, pipes and CI can show. */
export const PLAIN_STYLE: ChartStyle = { columns: 80, unicode: false, color: false };

/**
 * Bars in eighths of a cell, fitted to the width, and coloured only on an interactive terminal (colour
 * also off with NO_COLOR, https://no-color.org); anything else (pipe, file, CI) gets PLAIN_STYLE.
 */
export function chartStyle(
  stream: { isTTY?: boolean; columns?: number },
  env: Record<string, string | undefined>,
): ChartStyle {
  if (!stream.isTTY) return PLAIN_STYLE;
  return { columns: stream.columns || PLAIN_STYLE.columns, unicode: true, color: !env.NO_COLOR };
}

/** The narrowest bar drawn, whatever the terminal says. */
const MIN_BAR = 10;
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const FULL = '█';
const CYAN = '\x1b[36m';
const RESET = '\x1b[0m';

const num = (n: number): string => n.toLocaleString('en-US');

/**
 * A bar of `trips` out of `max` over `width` cells. Rounded to the nearest eighth (unicode) or cell
 * (ASCII), but never to nothing: a week with one trip among thousands still shows a mark.
 */
export function bar(trips: number, max: number, width: number, unicode: boolean): string {
  if (trips <= 0 || max <= 0) return '';
  const steps = unicode ? 8 : 1;
  const units = Math.max(1, Math.round((trips / max) * width * steps));
  if (!unicode) return '#'.repeat(units);
  return FULL.repeat(Math.floor(units / 8)) + EIGHTHS[units % 8];
}

/** `region Prague` / `bbox 14.4,50,14.5,50.1 (match both)`, then the datasource when one was given. */
export function describeFilter(filter: WeeklyAnswer['filter']): string {
  const area =
    filter.region !== undefined
      ? `region ${filter.region}`
      : filter.bbox
        ? `bbox ${filter.bbox.join(',')}${filter.match ? ` (match ${filter.match})` : ''}`
        : 'area ?';
  return filter.datasource !== undefined ? `${area}, datasource ${filter.datasource}` : area;
}

const plural = (n: number, word: string): string => `${num(n)} ${word}${n === 1 ? '' : 's'}`;

/** The average and what it divided by, e.g. `average 1.50 trips/week = 3 trips ÷ 2 weeks with trips (of 5 in the period)`. */
export function formatAverage(a: WeeklyAnswer, unicode = true): string {
  const div = unicode ? '÷' : '/';
  const average = `average ${a.weeklyAverage.toFixed(2)} trips/week`;
  if (a.weeksMode === 'active') {
    const active = a.activeWeeks ?? a.series.filter((w) => w.trips > 0).length;
    return `${average} = ${plural(a.totalTrips, 'trip')} ${div} ${plural(active, 'week')} with trips (of ${num(a.weeks)} in the period)`;
  }
  const active = a.activeWeeks === null ? '' : ` (${num(a.activeWeeks)} with trips)`;
  return `${average} = ${plural(a.totalTrips, 'trip')} ${div} ${plural(a.weeks, 'week')} of the period${active}`;
}

/** The whole printout: a title, one line per week (week start, bar, count), the average. */
export function formatWeeklyChart(a: WeeklyAnswer, style: ChartStyle = PLAIN_STYLE): string[] {
  const dash = style.unicode ? '–' : '-';
  const title = `Trips per week, ${describeFilter(a.filter)}`;
  if (a.series.length === 0 || a.from === null || a.to === null) {
    return [title, 'no weeks: nothing is ingested yet and no --from/--to was given', formatAverage(a, style.unicode)];
  }
  const lines = [`${title}, ${a.from} ${dash} ${a.to} (${plural(a.weeks, 'week')})`];
  const max = a.series.reduce((m, w) => Math.max(m, w.trips), 0);
  const countWidth = num(max).length;
  // `YYYY-MM-DD | <bar> <count>`: the bar takes what the date, the separators and the widest count leave.
  const width = Math.max(MIN_BAR, style.columns - 10 - 3 - 1 - countWidth);
  const sep = style.unicode ? '│' : '|';
  for (const w of a.series) {
    const b = bar(w.trips, max, width, style.unicode);
    const painted = style.color && b ? `${CYAN}${b}${RESET}` : b;
    lines.push(
      `${w.weekStart} ${sep} ${painted}${' '.repeat(width - barCells(b, style.unicode) + 1)}${num(w.trips).padStart(countWidth)}`,
    );
  }
  lines.push(formatAverage(a, style.unicode));
  return lines;
}

/** Cells a bar occupies (a partial eighth takes a whole cell). */
const barCells = (b: string, unicode: boolean): number => (unicode ? [...b].length : b.length);
