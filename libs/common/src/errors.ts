import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';

/** An error a client can cause: stable string code, HTTP status, human message, optional details. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Response headers that go with the error (`Retry-After`, `WWW-Authenticate`). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** JSON body of every error response. */
export interface ErrorBody {
  statusCode: number;
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/**
 * Maps every exception to `{ statusCode, error: { code, message, details } }` in one place.
 * Unknown errors are logged with context and become a 500 that leaks nothing.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('AppExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<{ method: string; url: string }>();
    let body: ErrorBody;
    if (exception instanceof AppError) {
      if (!res.headersSent)
        for (const [name, value] of Object.entries(exception.headers ?? {})) res.setHeader(name, value);
      body = {
        statusCode: exception.status,
        error: { code: exception.code, message: exception.message, details: exception.details },
      };
    } else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      // Terminus answers 503 with its own report: pass it through untouched.
      if (typeof response === 'object' && response && 'status' in response && 'details' in response) {
        res.status(status).json(response);
        return;
      }
      const message =
        typeof response === 'string'
          ? response
          : String((response as { message?: string | string[] }).message ?? exception.message);
      body = { statusCode: status, error: { code: httpCode(status), message } };
    } else {
      this.logger.error({ err: exception, method: req.method, url: req.url }, 'unhandled error');
      body = { statusCode: 500, error: { code: 'internal_error', message: 'Internal server error' } };
    }
    if (res.headersSent) return;
    res.status(body.statusCode).json(body);
  }
}

function httpCode(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'too_many_requests';
    default:
      return status >= 500 ? 'internal_error' : 'http_error';
  }
}
