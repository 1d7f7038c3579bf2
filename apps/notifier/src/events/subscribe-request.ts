import { isUuid } from '#contracts';

/** A validated `subscribe` / `unsubscribe` payload. */
export type ParsedSubscribeRequest = { kind: 'ingestion'; ingestionId: string; afterSeq: number } | { kind: 'all' };

/** Why a payload was refused; becomes `{ ok: false, error }` in the ack. */
export interface RequestError {
  code: 'invalid_request' | 'invalid_ingestion_id' | 'invalid_after_seq';
  message: string;
}

/** Largest accepted `afterSeq` (meta.events.seq is a PostgreSQL integer). */
export const MAX_SEQ = 2_147_483_647;

/**
 * Validates what a client sent. Anything may arrive over a socket (no payload, a string, extra
 * arguments), so nothing is assumed about its shape.
 */
export function parseSubscribeRequest(body: unknown): ParsedSubscribeRequest | RequestError {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { code: 'invalid_request', message: 'expected an object: { ingestionId, afterSeq? } or { all: true }' };
  }
  const b = body as Record<string, unknown>;
  if ('all' in b) {
    if (b.all !== true) return { code: 'invalid_request', message: '"all" must be true' };
    if (b.ingestionId !== undefined || b.afterSeq !== undefined) {
      return { code: 'invalid_request', message: '{ all: true } takes neither ingestionId nor afterSeq' };
    }
    return { kind: 'all' };
  }
  if (typeof b.ingestionId !== 'string' || !isUuid(b.ingestionId)) {
    return { code: 'invalid_ingestion_id', message: 'ingestionId must be the UUID of an ingestion' };
  }
  const afterSeq = b.afterSeq ?? 0;
  if (typeof afterSeq !== 'number' || !Number.isInteger(afterSeq) || afterSeq < 0 || afterSeq > MAX_SEQ) {
    return {
      code: 'invalid_after_seq',
      message: 'afterSeq must be an integer >= 0 (the last seq the client has; 0 = from the start)',
    };
  }
  return { kind: 'ingestion', ingestionId: b.ingestionId.toLowerCase(), afterSeq };
}

export const isRequestError = (r: ParsedSubscribeRequest | RequestError): r is RequestError => 'code' in r;
