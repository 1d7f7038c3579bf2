import { AppError } from '#common';

/**
 * For unit specs: what `fn` throws, as `"<status> <code>"` for an AppError (e.g. `"400 invalid_bbox"`),
 * as `String(error)` for anything else; `undefined` when it does not throw.
 */
export function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof AppError ? `${e.status} ${e.code}` : String(e);
  }
  return undefined;
}
