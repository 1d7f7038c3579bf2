import { Command, InvalidArgumentError, Option } from 'commander';
import { cliDefaults, EXIT } from './cli-defaults.js';
import { retractCommand } from './commands/retract.command.js';
import { uploadCommand } from './commands/upload.command.js';
import { watchAllCommand, watchOneCommand } from './commands/watch.command.js';
import { weeklyCommand } from './commands/weekly.command.js';
import { areaError, type WeeklyQuery } from './weekly/weekly-request.js';

const defaults = cliDefaults();

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const run = (work: Promise<number>): void => {
  work.then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`trips: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(EXIT.failed);
    },
  );
};

const program = new Command()
  .name('trips')
  .description('Upload trip CSV files to the ingestion platform, follow ingestions live, and ask for weekly averages.')
  .showHelpAfterError()
  // Set before the commands are added, so that they inherit it: a bad option value (--limit 0, --weeks all)
  // exits 2 like any bad argument, not commander's 1.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT.rejected));

program
  .command('upload')
  .description('stream a CSV (or .csv.gz) file to the upload-gateway and follow its ingestion to the end')
  .argument('<file>', 'the CSV file; a name ending in .gz is sent gzip-encoded')
  .addOption(
    new Option('--gateway <url>', 'upload-gateway base URL')
      .env('UPLOAD_GATEWAY_PUBLIC_URL')
      .default(defaults.gatewayUrl),
  )
  .addOption(
    new Option('--notifier <url>', 'notifier (socket.io) base URL')
      .env('NOTIFIER_PUBLIC_URL')
      .default(defaults.notifierUrl),
  )
  .addOption(new Option('--token <token>', 'the API token, when the platform sets API_TOKEN').env('TRIPS_API_TOKEN'))
  .option('--no-follow', 'only upload: print the 202 answer and exit, without live progress')
  .action((file: string, opts: { gateway: string; notifier: string; follow: boolean; token?: string }) =>
    run(uploadCommand(file, opts)),
  );

program
  .command('watch')
  .description('follow an existing ingestion (replay, then live), or every ingestion with --all')
  .argument('[ingestionId]', 'the ingestion to follow')
  .option('--all', 'follow every ingestion (recent ones listed first) until Ctrl-C')
  .addOption(
    new Option('--notifier <url>', 'notifier (socket.io) base URL')
      .env('NOTIFIER_PUBLIC_URL')
      .default(defaults.notifierUrl),
  )
  .addOption(
    new Option('--query-api <url>', 'query-api base URL (ingestion list and status)')
      .env('QUERY_API_PUBLIC_URL')
      .default(defaults.queryApiUrl),
  )
  .option('--limit <n>', 'with --all: how many recent ingestions to list', positiveInt, 20)
  .addOption(new Option('--token <token>', 'the API token, when the platform sets API_TOKEN').env('TRIPS_API_TOKEN'))
  .action(
    (
      id: string | undefined,
      opts: { all?: boolean; notifier: string; queryApi: string; limit: number; token?: string },
      command: Command,
    ) => {
      if (opts.all && id) command.error('give either an ingestion id or --all, not both', { exitCode: EXIT.rejected });
      if (!opts.all && !id) command.error('give an ingestion id, or --all', { exitCode: EXIT.rejected });
      run(opts.all ? watchAllCommand(opts) : watchOneCommand(id as string, opts));
    },
  );

program
  .command('retract')
  .description('retract a completed ingestion: its rows leave every answer (waits until they have)')
  .argument('<ingestionId>', 'the ingestion to retract')
  .addOption(
    new Option('--gateway <url>', 'upload-gateway base URL')
      .env('UPLOAD_GATEWAY_PUBLIC_URL')
      .default(defaults.gatewayUrl),
  )
  .addOption(
    new Option('--notifier <url>', 'notifier (socket.io) base URL, to wait for ingestion.retracted')
      .env('NOTIFIER_PUBLIC_URL')
      .default(defaults.notifierUrl),
  )
  .addOption(new Option('--token <token>', 'the API token, when the platform sets API_TOKEN').env('TRIPS_API_TOKEN'))
  .option('--no-wait', 'only ask for the retraction and exit')
  .action((id: string, opts: { gateway: string; notifier: string; token?: string; wait: boolean }) =>
    run(retractCommand(id, opts)),
  );

program
  .command('weekly')
  .description('weekly trips in an area (a region or a bounding box): a bar chart per week and the weekly average')
  .option('--region <name>', 'the region (case-insensitive)')
  .option('--bbox <minLon,minLat,maxLon,maxLat>', 'a bounding box in degrees, bounds inclusive')
  .addOption(
    new Option('--match <mode>', 'with --bbox: which end of a trip must lie inside (default both)').choices([
      'origin',
      'destination',
      'both',
      'any',
    ]),
  )
  .option('--from <YYYY-MM-DD>', 'first day of the period (default: the first week of the data)')
  .option('--to <YYYY-MM-DD>', 'last day of the period, inclusive (default: the last week of the data)')
  .option('--datasource <name>', 'count only the trips of this datasource')
  .addOption(
    new Option(
      '--weeks <mode>',
      'what the average divides by: every week of the period (period, default), or only the weeks with trips (active)',
    ).choices(['period', 'active']),
  )
  .option('--json', "print the query-api's answer (JSON) instead of the chart")
  .addOption(
    new Option('--query-api <url>', 'query-api base URL').env('QUERY_API_PUBLIC_URL').default(defaults.queryApiUrl),
  )
  .option('--api <url>', 'same as --query-api')
  .addOption(new Option('--token <token>', 'the API token, when the platform sets API_TOKEN').env('TRIPS_API_TOKEN'))
  .action(
    (opts: WeeklyQuery & { json?: boolean; queryApi: string; api?: string; token?: string }, command: Command) => {
      const problem = areaError(opts);
      if (problem) command.error(`error: ${problem}`, { exitCode: EXIT.rejected });
      run(weeklyCommand({ ...opts, queryApi: opts.api ?? opts.queryApi }));
    },
  );

await program.parseAsync(process.argv);
