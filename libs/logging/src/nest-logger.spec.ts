import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { pino } from 'pino';
import { NestPinoLogger, requestLogs } from './nest-logger.js';

/** A pino logger writing into an array of parsed lines, and NestJS's logger switched over to it. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const root = pino({ base: { service: 'probe' }, level: 'trace' }, out);
  Logger.overrideLogger(new NestPinoLogger(root));
  // pino writes to a stream asynchronously: wait a turn before reading.
  const flushed = () => new Promise((resolve) => setImmediate(resolve)).then(() => lines);
  return { root, flushed };
}

describe('NestPinoLogger (NestJS Logger calls → pino lines)', () => {
  it('puts the context of a NestJS Logger on the line, with the message', async () => {
    const { flushed } = capture();
    new Logger('EventsListener').log('listening for stored events');
    expect(await flushed()).toEqual([
      expect.objectContaining({
        level: 30,
        service: 'probe',
        context: 'EventsListener',
        msg: 'listening for stored events',
      }),
    ]);
  });

  it('merges a first object argument into the line, as pino does (warn({ err }, message))', async () => {
    const { flushed } = capture();
    new Logger('HealthController').warn({ err: new Error('refused'), check: 'kafka' }, 'kafka health check failed');
    const [line] = await flushed();
    expect(line).toMatchObject({
      level: 40,
      context: 'HealthController',
      check: 'kafka',
      msg: 'kafka health check failed',
    });
    expect(line.err).toMatchObject({ type: 'Error', message: 'refused' });
  });

  it("logs NestJS's own errors (an Error, or a message and a stack) with their stack", async () => {
    const { flushed } = capture();
    const boom = new Error('boom');
    new Logger('ExceptionsHandler').error(boom);
    Logger.error('failed', 'Error: failed\n    at somewhere (file.js:1:1)', 'ExceptionHandler');
    const [fromError, fromStack] = await flushed();
    expect(fromError).toMatchObject({ level: 50, context: 'ExceptionsHandler', msg: 'boom' });
    expect(fromError.err).toMatchObject({ message: 'boom', stack: boom.stack });
    expect(fromStack).toMatchObject({ level: 50, context: 'ExceptionHandler', msg: 'failed' });
    expect(fromStack.err).toMatchObject({ stack: 'Error: failed\n    at somewhere (file.js:1:1)' });
  });

  it('maps the static form (message, context) and every level', async () => {
    const { flushed } = capture();
    Logger.log('Mapped {/health, GET} route', 'RouterExplorer');
    const nest = new Logger('Levels');
    nest.verbose('v');
    nest.debug('d');
    nest.fatal('f');
    const lines = await flushed();
    expect(lines[0]).toMatchObject({ level: 30, context: 'RouterExplorer', msg: 'Mapped {/health, GET} route' });
    expect(lines.slice(1).map((l) => [l.level, l.msg])).toEqual([
      [10, 'v'],
      [20, 'd'],
      [60, 'f'],
    ]);
  });

  it("uses the request's logger (its request id) while a request is handled", async () => {
    const { root, flushed } = capture();
    requestLogs.run(root.child({ reqId: 7 }), () => new Logger('AppExceptionFilter').error({ url: '/x' }, 'unhandled'));
    new Logger('Outside').log('no request');
    const [inside, outside] = await flushed();
    expect(inside).toMatchObject({ reqId: 7, url: '/x', msg: 'unhandled' });
    expect(outside).not.toHaveProperty('reqId');
  });
});
