import { ConfigError, corsOrigins, loadConfig, logFormat } from './config.js';

describe('loadConfig', () => {
  it('returns working defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/trips');
    expect(c.KAFKA_BROKERS).toBe('127.0.0.1:9092');
    expect(c.UPLOAD_GATEWAY_PORT).toBe(3000);
    expect(c.QUERY_API_PORT).toBe(3001);
    expect(c.NOTIFIER_PORT).toBe(3002);
    expect(c.GRID_CELL_DEGREES).toBe(0.01);
    expect(c.TIME_BUCKET_MINUTES).toBe(30);
    expect(c.KAFKA_TOPIC_PREFIX).toBe('');
  });

  it('coerces numbers from strings', () => {
    const c = loadConfig({ QUERY_API_PORT: '4001', GRID_CELL_DEGREES: '0.005' });
    expect(c.QUERY_API_PORT).toBe(4001);
    expect(c.GRID_CELL_DEGREES).toBe(0.005);
  });

  it('fails fast and lists every bad key', () => {
    let error: unknown;
    try {
      loadConfig({
        QUERY_API_PORT: 'abc',
        DATABASE_URL: 'mysql://x',
        TIME_BUCKET_MINUTES: '7',
        KAFKA_BROKERS: 'nohost',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).issues.map((i) => i.key).sort();
    expect(keys).toEqual(['DATABASE_URL', 'KAFKA_BROKERS', 'QUERY_API_PORT', 'TIME_BUCKET_MINUTES']);
    expect((error as Error).message).toContain('TIME_BUCKET_MINUTES: must divide 1440');
  });

  it('treats an empty variable as unset, except the topic prefix', () => {
    const c = loadConfig({ QUERY_API_PORT: '', KAFKA_TOPIC_PREFIX: '' });
    expect(c.QUERY_API_PORT).toBe(3001);
    expect(c.KAFKA_TOPIC_PREFIX).toBe('');
  });

  it('leaves the fault injection off unless set, and refuses it in production', () => {
    expect(loadConfig({}).FAULT_EXIT_AFTER_COMMIT).toBeUndefined();
    expect(loadConfig({ FAULT_EXIT_AFTER_COMMIT: '3', NODE_ENV: 'test' }).FAULT_EXIT_AFTER_COMMIT).toBe(3);
    const keysOf = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).issues.map((i) => i.key);
      }
      return [];
    };
    expect(keysOf({ FAULT_EXIT_AFTER_COMMIT: '0' })).toEqual(['FAULT_EXIT_AFTER_COMMIT']);
    expect(keysOf({ FAULT_EXIT_AFTER_COMMIT: 'soon' })).toEqual(['FAULT_EXIT_AFTER_COMMIT']);
    expect(keysOf({ FAULT_EXIT_AFTER_COMMIT: '1', NODE_ENV: 'production' })).toEqual(['FAULT_EXIT_AFTER_COMMIT']);
    expect(keysOf({ NODE_ENV: 'production' })).toEqual([]);
  });

  it('parses CORS origins', () => {
    // By default only the dashboard's own origin, under both names of the loopback host.
    expect(corsOrigins(loadConfig({}))).toEqual(['http://localhost:3002', 'http://127.0.0.1:3002']);
    expect(corsOrigins(loadConfig({ NOTIFIER_PUBLIC_URL: 'https://trips.example/dashboard/' }))).toEqual([
      'https://trips.example',
    ]);
    expect(corsOrigins(loadConfig({ CORS_ORIGINS: 'http://a, http://b' }))).toEqual([
      'http://localhost:3002',
      'http://127.0.0.1:3002',
      'http://a',
      'http://b',
    ]);
    expect(corsOrigins(loadConfig({ CORS_ORIGINS: 'http://a,*' }))).toBe(true);
  });

  it('writes readable logs only for a developer at a terminal, unless LOG_FORMAT says otherwise', () => {
    const at = (env: Record<string, string>, tty: boolean) => logFormat(loadConfig(env), tty);
    expect(at({}, true)).toBe('pretty'); // npm start in a shell
    expect(at({}, false)).toBe('json'); // piped: a file, a log shipper, the tests
    expect(at({ NODE_ENV: 'production' }, true)).toBe('json');
    expect(at({ NODE_ENV: 'test' }, true)).toBe('json');
    expect(at({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(at({ LOG_FORMAT: 'pretty', NODE_ENV: 'production' }, false)).toBe('pretty');
    expect(() => loadConfig({ LOG_FORMAT: 'yaml' })).toThrow('LOG_FORMAT');
  });
});
