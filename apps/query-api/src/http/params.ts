import { AppError } from '#common';
import { isUuid } from '#contracts';

/** The raw query string object Express hands over (values may be arrays when a key repeats). */
export type RawQuery = Record<string, unknown>;

/**
 * One query parameter as a string: undefined when absent or empty, a 400 with `code` when it is
 * repeated or structured (a repeated key would otherwise silently pick one of the values).
 */
export function stringParam(query: RawQuery, name: string, code: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new AppError(400, code, `${name} must be given once, as a plain value`, { [name]: value });
  return value.trim() === '' ? undefined : value;
}

/** `limit`: an integer in [1, max]; default when absent. */
export function limitParam(query: RawQuery, fallback: number, max: number): number {
  return intParam(query, 'limit', 'invalid_limit', fallback, 1, max);
}

export function intParam(
  query: RawQuery,
  name: string,
  code: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = stringParam(query, name, code);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || value < min || value > max) {
    throw new AppError(400, code, `${name} must be an integer between ${min} and ${max}`, { [name]: raw });
  }
  return value;
}

/** An ingestion id path parameter: a UUID (any case), returned lower-case. */
export function ingestionIdParam(id: string): string {
  if (!isUuid(id))
    throw new AppError(400, 'invalid_ingestion_id', 'the ingestion id must be a UUID', { ingestionId: id });
  return id.toLowerCase();
}

/** A `HH:MM` time of day (00:00–23:59) in minutes since midnight. */
export function timeOfDayParam(query: RawQuery): number | undefined {
  const raw = stringParam(query, 'timeOfDay', 'invalid_time_of_day');
  if (raw === undefined) return undefined;
  const m = /^(\d{2}):(\d{2})$/.exec(raw.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
    throw new AppError(400, 'invalid_time_of_day', 'timeOfDay must be HH:MM between 00:00 and 23:59', {
      timeOfDay: raw,
    });
  }
  return Number(m[1]) * 60 + Number(m[2]);
}
