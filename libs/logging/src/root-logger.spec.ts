import { Writable } from 'node:stream';
import { loadConfig } from '#config';
import { createRootLogger, prettyMessage } from './root-logger.js';

/** A stream that keeps what it is given. */
function sink() {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { out, text: () => new Promise<string>((resolve) => setImmediate(() => resolve(text))) };
}

describe('createRootLogger', () => {
  it('writes JSON lines tagged with the service', async () => {
    const { out, text } = sink();
    createRootLogger(loadConfig({ LOG_FORMAT: 'json' }), 'transformer', out).warn({ segmentNo: 3 }, 'merge failed');
    const line = JSON.parse(await text()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, service: 'transformer', segmentNo: 3, msg: 'merge failed' });
  });

  it('writes readable lines with the service name when LOG_FORMAT=pretty', async () => {
    const { out, text } = sink();
    const log = createRootLogger(loadConfig({ LOG_FORMAT: 'pretty' }), 'bronze-loader', out);
    log.child({ component: 'chunks-consumer' }).info({ chunkSeq: 7 }, 'chunk loaded');
    expect(await text()).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: bronze-loader {2}\[chunks-consumer\] chunk loaded \{"chunkSeq":7\}\n$/,
    );
  });
});

describe('prettyMessage', () => {
  it('puts the service, padded so that messages line up, and the context before the message', () => {
    expect(prettyMessage({ service: 'query-api', context: 'RouterExplorer', msg: 'Mapped' }, 'msg')).toBe(
      'query-api      [RouterExplorer] Mapped',
    );
    expect(prettyMessage({ service: 'upload-gateway', msg: 'listening' }, 'msg')).toBe('upload-gateway listening');
  });

  it('shows a request log as method, url, status and time', () => {
    const log = {
      service: 'query-api',
      msg: 'request completed',
      req: { method: 'GET', url: '/api/v1/trips/weekly-average?region=Prague' },
      res: { statusCode: 200 },
      responseTime: 12,
    };
    expect(prettyMessage(log, 'msg')).toBe(
      'query-api      request completed GET /api/v1/trips/weekly-average?region=Prague → 200 (12 ms)',
    );
  });
});
