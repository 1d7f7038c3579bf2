import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable } from 'rxjs';
import { AppError } from '#common';

/**
 * A statement cancelled by QUERY_API_STATEMENT_TIMEOUT_MS is not a server bug: the client asked for
 * more than the API will compute at once, so it gets a 503 it can act on instead of a bare 500.
 */
@Injectable()
export class DbErrorsInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if ((error as { code?: string } | null)?.code === '57014') {
          throw new AppError(
            503,
            'query_timeout',
            'the query took longer than the server allows (QUERY_API_STATEMENT_TIMEOUT_MS); narrow the area or the period',
          );
        }
        throw error;
      }),
    );
  }
}
