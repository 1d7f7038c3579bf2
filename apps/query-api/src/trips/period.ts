import { AppError } from '#common';

/**
 * Weeks are ISO weeks (Monday start) of the trip's local date, written as the Monday's date
 * (`YYYY-MM-DD`), exactly as `date_trunc('week', occurred_at)::date` in PostgreSQL. Dates here are
 * calendar dates without a zone, handled as UTC midnights so no local zone can shift them.
 */
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** The longest period a client may ask for (about 200 years): bounds the size of the series. */
export const MAX_WEEKS = 10_436;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses a strict `YYYY-MM-DD` calendar date to its UTC midnight (ms); undefined if not one. */
export function parseDate(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  // Date.UTC maps years 0–99 to 1900–1999 and rolls 2018-02-30 over to March: both are refused.
  if (y < 1 || back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  return t;
}

export const formatDate = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** The Monday of the ISO week containing the day `t` (UTC midnight ms). */
export function weekStart(t: number): number {
  const dow = (new Date(t).getUTCDay() + 6) % 7; // Monday = 0
  return t - dow * DAY_MS;
}

/** A period of whole ISO weeks, first and last Monday inclusive. */
export interface Period {
  firstWeek: number;
  lastWeek: number;
}

export const weekCount = (p: Period): number => Math.round((p.lastWeek - p.firstWeek) / WEEK_MS) + 1;

/** Every Monday of the period, in order. */
export function weeksOf(p: Period): string[] {
  const out: string[] = [];
  for (let t = p.firstWeek; t <= p.lastWeek; t += WEEK_MS) out.push(formatDate(t));
  return out;
}

/** The Sunday that ends the period's last week. */
export const periodEnd = (p: Period): string => formatDate(p.lastWeek + 6 * DAY_MS);

function dateParam(name: 'from' | 'to', raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const t = parseDate(raw.trim());
  if (t === undefined)
    throw new AppError(400, 'invalid_date', `${name} must be a calendar date YYYY-MM-DD`, { [name]: raw });
  return t;
}

/**
 * The period of a weekly-average query: the ISO weeks containing `from`..`to` (inclusive days).
 * A missing bound comes from the data (`dataWeeks`: first and last week with any ingested trip,
 * across all regions); when the data lie entirely on the other side of the given bound, the period
 * is that bound's single week. No bound and no data: no period (undefined).
 */
export function resolvePeriod(
  fromRaw: string | undefined,
  toRaw: string | undefined,
  dataWeeks: Period | undefined,
): Period | undefined {
  const from = dateParam('from', fromRaw);
  const to = dateParam('to', toRaw);
  if (from !== undefined && to !== undefined && from > to) {
    throw new AppError(400, 'invalid_date', 'from must not be after to', { from: fromRaw, to: toRaw });
  }
  let firstWeek = from === undefined ? undefined : weekStart(from);
  let lastWeek = to === undefined ? undefined : weekStart(to);
  if (firstWeek === undefined && lastWeek === undefined) {
    return dataWeeks && { ...dataWeeks };
  }
  firstWeek ??= dataWeeks ? Math.min(dataWeeks.firstWeek, lastWeek!) : lastWeek!;
  lastWeek ??= dataWeeks ? Math.max(dataWeeks.lastWeek, firstWeek) : firstWeek;
  const period = { firstWeek, lastWeek };
  if (weekCount(period) > MAX_WEEKS) {
    throw new AppError(400, 'invalid_date', `the period may span at most ${MAX_WEEKS} weeks`, {
      from: fromRaw,
      to: toRaw,
    });
  }
  return period;
}
