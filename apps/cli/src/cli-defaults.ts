/**
 * The CLI reads the same variables as the services (libs/config/src/config.ts, with the same defaults,
 * which a unit spec keeps in sync) but not through #config: that would load NestJS into every command.
 */
export interface CliDefaults {
  gatewayUrl: string;
  notifierUrl: string;
  queryApiUrl: string;
}

export const DEFAULT_URLS: CliDefaults = {
  gatewayUrl: 'http://localhost:3000',
  notifierUrl: 'http://localhost:3002',
  queryApiUrl: 'http://localhost:3001',
};

export function cliDefaults(env: NodeJS.ProcessEnv = process.env): CliDefaults {
  return {
    gatewayUrl: env.UPLOAD_GATEWAY_PUBLIC_URL || DEFAULT_URLS.gatewayUrl,
    notifierUrl: env.NOTIFIER_PUBLIC_URL || DEFAULT_URLS.notifierUrl,
    queryApiUrl: env.QUERY_API_PUBLIC_URL || DEFAULT_URLS.queryApiUrl,
  };
}

/** Process exit codes (README "CLI"). */
export const EXIT = {
  completed: 0,
  /** The ingestion failed in the pipeline (ingestion.failed). */
  failed: 1,
  /** The gateway refused the upload (HTTP error), or a bad argument (unknown file, id). */
  rejected: 2,
  /** The notifier (or gateway) could not be reached. */
  unreachable: 3,
  interrupted: 130,
} as const;
