import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable } from 'rxjs';
import { AppError } from '#common';
import { isTransientDbError } from '#db';

/** pg-pool's error when no connection came free within the pool's connectionTimeoutMillis (libs/db: 5 s). */
const POOL_WAIT_TIMEOUT = 'timeout exceeded when trying to connect';

/**
 * Database errors that are not server bugs become 503s a client can act on instead of bare 500s:
 * a statement cancelled by QUERY_API_STATEMENT_TIMEOUT_MS (the client asked for more than the API
 * computes at once), every pooled connection busy for the pool's whole wait (more slow requests at once
 * than the pool serves: `npm run load` found them answered 500 with a stack logged per request), and a
 * database that is unreachable or restarting.
 */
@Injectable()
export class DbErrorsInterceptor implements NestInterceptor {
  private readonly logger = new Logger(DbErrorsInterceptor.name);

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        const mapped = toAppError(error);
        if (mapped && mapped.code !== 'query_timeout') {
          const { method, url } = context.switchToHttp().getRequest<{ method: string; url: string }>();
          this.logger.warn({ method, url, code: mapped.code, reason: (error as Error).message }, mapped.message);
        }
        throw mapped ?? error;
      }),
    );
  }
}

/** The 503 a database error stands for, or undefined for an error that is not the client's to retry. */
export function toAppError(error: unknown): AppError | undefined {
  if ((error as { code?: string } | null)?.code === '57014') {
    return new AppError(
      503,
      'query_timeout',
      'the query took longer than the server allows (QUERY_API_STATEMENT_TIMEOUT_MS); narrow the area or the period',
    );
  }
  if (error instanceof Error && error.message === POOL_WAIT_TIMEOUT) {
    return new AppError(
      503,
      'database_busy',
      'every database connection of the API stayed busy (too many slow requests at once); retry shortly',
      undefined,
      { 'Retry-After': '1' },
    );
  }
  if (isTransientDbError(error)) {
    return new AppError(503, 'database_unavailable', 'the database is unavailable; retry shortly', undefined, {
      'Retry-After': '5',
    });
  }
  return undefined;
}
