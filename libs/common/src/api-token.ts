import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { CONFIG, type Env } from '#config';
import { AppError } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Whether a presented token is API_TOKEN, in constant time (digests of equal length, so neither the
 * length nor a common prefix shows in the timing). Always true when no API_TOKEN is configured.
 */
export function tokenAccepted(expected: string | undefined, presented: string | undefined): boolean {
  if (!expected) return true;
  return presented !== undefined && timingSafeEqual(digest(expected), digest(presented));
}

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return m?.[1];
}

export const unauthorized = (): AppError =>
  new AppError(401, 'unauthorized', 'This operation requires Authorization: Bearer <API_TOKEN>', undefined, {
    'WWW-Authenticate': 'Bearer',
  });

/** Guards a route with API_TOKEN when one is configured (401 `unauthorized` and `WWW-Authenticate: Bearer` otherwise). */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(@Inject(CONFIG) private readonly env: Env) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (tokenAccepted(this.env.API_TOKEN, bearerToken(req.headers.authorization))) return true;
    throw unauthorized();
  }
}
