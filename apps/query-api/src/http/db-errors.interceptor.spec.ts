import { Logger, type CallHandler, type ExecutionContext } from '@nestjs/common';
import { firstValueFrom, throwError } from 'rxjs';
import { AppError } from '#common';
import { DbErrorsInterceptor, toAppError } from './db-errors.interceptor.js';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
const summary = (e: AppError | undefined) => e && { status: e.status, code: e.code, headers: e.headers };

describe('database errors as answers', () => {
  it('a statement timeout is 503 query_timeout', () => {
    expect(summary(toAppError(pgError('57014')))).toEqual({ status: 503, code: 'query_timeout', headers: undefined });
  });

  it('no pooled connection free within the wait (overload) is 503 database_busy, retry after 1 s', () => {
    expect(summary(toAppError(new Error('timeout exceeded when trying to connect')))).toEqual({
      status: 503,
      code: 'database_busy',
      headers: { 'Retry-After': '1' },
    });
  });

  it('an unreachable or restarting database is 503 database_unavailable, retry after 5 s', () => {
    for (const error of [
      pgError('ECONNREFUSED'),
      pgError('57P03'),
      pgError('08006'),
      new Error('Connection terminated'),
    ])
      expect(summary(toAppError(error))).toEqual({
        status: 503,
        code: 'database_unavailable',
        headers: { 'Retry-After': '5' },
      });
  });

  it('anything else is left to the exception filter (500 internal_error)', () => {
    for (const error of [pgError('42601'), pgError('23505'), new TypeError('x is undefined'), 'a string'])
      expect(toAppError(error)).toBeUndefined();
  });

  it('the interceptor rethrows the mapped error (with a warning, no stack), or the original one', async () => {
    const warnings: unknown[] = [];
    Logger.overrideLogger({ log() {}, error() {}, warn: (message: unknown) => warnings.push(message) });
    const context = {
      switchToHttp: () => ({ getRequest: () => ({ method: 'GET', url: '/api/v1/trip-groups' }) }),
    } as unknown as ExecutionContext;
    const failing = (error: unknown): CallHandler => ({ handle: () => throwError(() => error) });
    const interceptor = new DbErrorsInterceptor();
    await expect(
      firstValueFrom(interceptor.intercept(context, failing(new Error('timeout exceeded when trying to connect')))),
    ).rejects.toMatchObject({ status: 503, code: 'database_busy' });
    expect(warnings).toEqual([
      expect.objectContaining({ method: 'GET', url: '/api/v1/trip-groups', code: 'database_busy' }),
    ]);
    const bug = new TypeError('x is undefined');
    await expect(firstValueFrom(interceptor.intercept(context, failing(bug)))).rejects.toBe(bug);
  });
});
