import { z } from 'zod';

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const port = (def: number) => int(def, 1, 65535);
const url = (def: string) => z.string().url().default(def);

/**
 * Every environment variable the platform reads, with its default. Defaults work on a developer
 * machine (local PostgreSQL and the Kafka that `npm start` starts). README: "Configuration".
 */
const envVariables = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json`: one JSON object per line; `pretty`: readable lines. Unset: see {@link logFormat}. */
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/trips'),
  DATABASE_POOL_SIZE: int(10, 1, 200),

  KAFKA_BROKERS: z
    .string()
    .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'must be host:port[,host:port...]')
    .default('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: z.string().min(1).default('trips'),
  /** Prepended to every topic and consumer group name (one prefix per environment / test run). */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, . _ - only')
    .default(''),
  KAFKA_RAW_PARTITIONS: int(4, 1, 1000),
  KAFKA_WORK_PARTITIONS: int(4, 1, 1000),
  KAFKA_EVENTS_PARTITIONS: int(4, 1, 1000),
  /** How often the bronze-loader deletes the raw chunks it has committed from their topic; 0: never (they expire after the topic's retention). */
  KAFKA_RAW_TRIM_INTERVAL_MS: int(10_000, 0, 3_600_000),

  UPLOAD_GATEWAY_PORT: port(3000),
  QUERY_API_PORT: port(3001),
  NOTIFIER_PORT: port(3002),
  /** bronze-loader and transformer serve only /health. */
  BRONZE_LOADER_PORT: port(3003),
  TRANSFORMER_PORT: port(3004),
  QUERY_API_PUBLIC_URL: url('http://localhost:3001'),
  NOTIFIER_PUBLIC_URL: url('http://localhost:3002'),
  /** Upload-gateway base URL as browsers and the `trips` CLI reach it (dashboard upload form, CLI default). */
  UPLOAD_GATEWAY_PUBLIC_URL: url('http://localhost:3000'),

  /** Largest accepted upload (decompressed bytes). */
  UPLOAD_MAX_BYTES: int(20 * 1024 ** 3, 1),
  /** How long an upload waits for Kafka to come back (a broker restart) before it fails with 503 kafka_unavailable. */
  UPLOAD_KAFKA_PATIENCE_MS: int(60_000, 0, 3_600_000),
  /**
   * Uploads one upload-gateway instance streams at once; one more gets 503 too_many_uploads with
   * Retry-After. 32: issue #11 wants 20 at once, and 32 uploads at once took one gateway from ≈ 135 MB
   * to a peak of 290–350 MB RSS whatever the file size (scripts/bench/uploads.ts; docs/benchmarks.md,
   * "Load"), within the 512 MB per process.
   */
  UPLOAD_MAX_CONCURRENT: int(32, 1, 10_000),
  /** Uploads one client address may start per minute at one gateway instance; more get 429 (0 = no limit). */
  UPLOAD_RATE_LIMIT_PER_MINUTE: int(60, 0, 1_000_000),
  /** Every service drops a connection whose request headers have not all arrived within this time (slowloris). */
  HTTP_HEADERS_TIMEOUT_MS: int(20_000, 1_000, 600_000),
  /**
   * An ingestion still `uploading` whose gateway has not stamped it for this long (the gateway died
   * mid-upload) is failed with `upload_interrupted` by any running gateway, within this plus a third.
   */
  UPLOAD_STALE_MS: int(30_000, 1_500, 3_600_000),
  /** upload-gateway drops an upload connection on which no byte moved for this long (0 = never). */
  UPLOAD_IDLE_TIMEOUT_MS: int(300_000, 0),
  /** Target size of one raw chunk; always below Kafka's 1 MB default message limit. */
  UPLOAD_CHUNK_BYTES: int(512 * 1024, 1024, 900 * 1024),
  /**
   * Longest record (its line end included) an upload may hold; a longer one stops the upload with
   * 422 record_too_large and its line, so the gateway never buffers more than this for one record.
   * The raw-chunk topic accepts messages of this size (kafkaMessageMaxBytes).
   */
  UPLOAD_MAX_RECORD_BYTES: int(1024 ** 2, 1024, 64 * 1024 ** 2),
  /**
   * Raw-chunk sends one upload keeps in flight to Kafka; the gateway stops reading the socket while
   * they are all pending (backpressure), so memory per upload is about this many chunks.
   */
  UPLOAD_SENDS_IN_FLIGHT: int(4, 1, 64),

  /** Chunks a bronze-loader / transformer instance works on at once (one PostgreSQL connection each). */
  BRONZE_LOADER_CONCURRENCY: int(2, 1, 64),
  TRANSFORMER_CONCURRENCY: int(2, 1, 64),
  /**
   * Rows of one ingestion's chunks that wait before the transformer builds them into its first silver
   * segment (with its indexes and gold) in one transaction. Later segments wait for as many rows as
   * the ingestion already has, up to SEGMENT_MAX_ROWS; the rest is built when every chunk has arrived.
   */
  SEGMENT_ROWS: int(250_000, 1, 100_000_000),
  SEGMENT_MAX_ROWS: int(1_000_000, 1, 1_000_000_000),
  /** maintenance_work_mem of a segment build or merge (MB): its index builds sort in memory up to this size. */
  SEGMENT_BUILD_MEMORY_MB: int(256, 16, 16_384),
  /** Segments of one size tier merged into one at once (docs/architecture.md, "Merging segments"). */
  MERGE_FAN_IN: int(4, 2, 64),
  /** Segments with at least this many rows are not merged again. */
  MERGE_MAX_ROWS: int(32_000_000, 1, 2_000_000_000),
  /**
   * Merges wait until no ingestion in flight has progressed for this long (ms), so they do not take
   * CPU from one; 0 merges at any time.
   */
  MERGE_QUIET_MS: int(5_000, 0, 3_600_000),
  /** How often a transformer checks whether a merge is due (ms); 0 never merges. */
  MERGE_INTERVAL_MS: int(5_000, 0, 3_600_000),
  /** Partitions of the events topic one notifier instance stores at once (one PostgreSQL connection each). */
  NOTIFIER_CONCURRENCY: int(2, 1, 64),
  /** Minimum interval between two progress events of one ingestion from one service instance. */
  PROGRESS_INTERVAL_MS: int(250, 0, 60_000),

  /** socket.io connections one notifier instance accepts; more are refused at the handshake (too_many_connections). */
  NOTIFIER_MAX_SOCKETS: int(10_000, 1, 1_000_000),
  /**
   * The notifier keeps an ingestion's stored events (meta.events: replay, REST) until it has had none
   * for this many days. At least 8: longer than the events topic keeps them (7 days).
   */
  EVENTS_RETENTION_DAYS: int(30, 8, 36_500),

  /** Side of a spatial grid cell in degrees (both axes). 0.01° ≈ 1.1 km north–south. Fixed per database. */
  GRID_CELL_DEGREES: z.coerce.number().positive().max(10).default(0.01),
  /** Length of a time-of-day bucket in minutes; must divide 1440. Fixed per database. */
  TIME_BUCKET_MINUTES: int(30, 1, 1440).refine((m) => 1440 % m === 0, 'must divide 1440 (minutes per day)'),

  /** Longest a single query-api SQL statement may run (ms); PostgreSQL cancels it and the request answers 503 query_timeout. */
  QUERY_API_STATEMENT_TIMEOUT_MS: int(30_000, 100, 3_600_000),

  /**
   * When set, uploads and the socket.io all-ingestions feed require `Authorization: Bearer <API_TOKEN>`
   * (socket.io: `auth: { token }` in the handshake); anything else gets 401 `unauthorized`. At least 16
   * characters. Unset: no authentication (a developer machine).
   */
  API_TOKEN: z.string().min(16).optional(),
  /**
   * Comma-separated origins, besides the dashboard's own (NOTIFIER_PUBLIC_URL), allowed to open
   * socket.io connections and call the APIs from a browser; `*` = any.
   */
  CORS_ORIGINS: z.string().default(''),

  /**
   * Test-only fault injection, off when unset: a consumer process (bronze-loader, transformer, notifier)
   * kills itself with SIGKILL once the handler of the n-th message it consumed has resolved (its
   * database transaction committed, its events published) and before the message's offset is
   * committed, so the message is redelivered: the crash exactly-once must survive
   * (`test/e2e/exit-after-commit.e2e-spec.ts`). Refused with NODE_ENV=production.
   */
  FAULT_EXIT_AFTER_COMMIT: z.coerce.number().int().min(1).max(1_000_000_000).optional(),
});

/** The variables with the rules that span several of them. */
export const envSchema = envVariables.superRefine((env, ctx) => {
  if (env.NODE_ENV === 'production' && env.FAULT_EXIT_AFTER_COMMIT !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['FAULT_EXIT_AFTER_COMMIT'],
      message: 'is a test-only fault injection, not allowed with NODE_ENV=production',
    });
  }
});

export type Env = z.infer<typeof envSchema>;

/** Thrown at boot when the environment is invalid; lists every bad key. */
export class ConfigError extends Error {
  constructor(readonly issues: { key: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment once, returns the typed config; throws {@link ConfigError} listing bad keys. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Env {
  const input: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  // An explicitly empty prefix is meaningful; keep it.
  if (env.KAFKA_TOPIC_PREFIX !== undefined) input.KAFKA_TOPIC_PREFIX = env.KAFKA_TOPIC_PREFIX;
  const result = envSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => ({ key: String(i.path[0] ?? '?'), message: i.message })));
  }
  return result.data;
}

/**
 * How a service writes its logs: LOG_FORMAT when set; otherwise readable lines for a developer at a
 * terminal (development, stdout a TTY: `npm start` in a shell) and JSON lines everywhere else
 * (production, tests, output piped to a file or a log shipper).
 */
export function logFormat(env: Pick<Env, 'LOG_FORMAT' | 'NODE_ENV'>, stdoutIsTty: boolean): 'pretty' | 'json' {
  return env.LOG_FORMAT ?? (env.NODE_ENV === 'development' && stdoutIsTty ? 'pretty' : 'json');
}

/**
 * The origins browsers may call the APIs and open socket.io connections from, as socket.io and the
 * express cors middleware expect them: the dashboard's own (NOTIFIER_PUBLIC_URL's origin, under both
 * names of the loopback host when it is one) plus CORS_ORIGINS; `true` (any) when CORS_ORIGINS holds `*`.
 */
export function corsOrigins(env: Env): string[] | true {
  const extra = env.CORS_ORIGINS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (extra.includes('*')) return true;
  const dashboard = new URL(env.NOTIFIER_PUBLIC_URL);
  const origins = [dashboard.origin];
  const alias = ({ localhost: '127.0.0.1', '127.0.0.1': 'localhost' } as Record<string, string>)[dashboard.hostname];
  if (alias) {
    dashboard.hostname = alias;
    origins.push(dashboard.origin);
  }
  return [...new Set([...origins, ...extra])];
}
