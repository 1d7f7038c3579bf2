import { AppError } from '#common';

/**
 * Opaque page cursors: base64url of the JSON array of the last row's sort key. Clients pass them
 * back untouched; anything that does not decode to the expected shape is a 400 `invalid_cursor`,
 * never a database error.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Element checks for {@link decodeCursor}: each validates one position of the key. `int4` / `int2`:
 * a non-negative integer that fits the column it is compared with (an `integer` id, a `smallint`),
 * so a forged cursor cannot make PostgreSQL fail with "out of range".
 */
export type CursorPart = 'int' | 'posint' | 'int4' | 'int2' | 'timestamp';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function valid(part: CursorPart, v: unknown): boolean {
  switch (part) {
    case 'int':
      return Number.isSafeInteger(v);
    case 'posint':
      return Number.isSafeInteger(v) && (v as number) >= 0;
    case 'int4':
      return Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 2_147_483_647;
    case 'int2':
      return Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 32_767;
    case 'timestamp':
      return typeof v === 'string' && TIMESTAMP.test(v) && !Number.isNaN(Date.parse(v.slice(0, 23) + 'Z'));
  }
}

export function decodeCursor(raw: string | undefined, shape: readonly CursorPart[]): unknown[] | undefined {
  if (raw === undefined) return undefined;
  let key: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error('not base64url');
    key = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length || !shape.every((p, i) => valid(p, key[i]))) {
    throw new AppError(400, 'invalid_cursor', 'cursor is not one this API returned; start again without it', {
      cursor: raw,
    });
  }
  return key as unknown[];
}
