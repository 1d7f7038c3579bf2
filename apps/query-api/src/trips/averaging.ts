import { AppError } from '#common';

/**
 * What the weekly average divides by. `period` (default, the original meaning): every week of the
 * period, weeks without trips counting as zero. `active`: only the weeks of the period with at least
 * one trip in the filter, as other tools compute it.
 */
export const WEEKS_MODES = ['period', 'active'] as const;
export type WeeksMode = (typeof WEEKS_MODES)[number];
export const DEFAULT_WEEKS_MODE: WeeksMode = 'period';

/** `weeks=period|active` (case-insensitive, surrounding spaces ignored); default `period`. */
export function parseWeeksMode(raw: string | undefined): WeeksMode {
  if (raw === undefined) return DEFAULT_WEEKS_MODE;
  const mode = raw.trim().toLowerCase();
  if (!(WEEKS_MODES as readonly string[]).includes(mode)) {
    throw new AppError(400, 'invalid_weeks', `weeks must be one of ${WEEKS_MODES.join(', ')}`, { weeks: raw });
  }
  return mode as WeeksMode;
}

export interface WeeklyAverage {
  /** Weeks of the period (the series' length), whatever the mode. */
  weeks: number;
  /** Weeks of the period with at least one trip. */
  activeWeeks: number;
  totalTrips: number;
  /** totalTrips ÷ the weeks the mode divides by; 0 when that is 0 (no period, or no week with trips). */
  weeklyAverage: number;
}

/**
 * The average of a zero-filled weekly series (one entry per week of the period). Invariants:
 * activeWeeks ≤ weeks; both modes share the total, so active ≥ period whenever any week has trips;
 * never NaN or Infinity.
 */
export function averageOf(series: readonly { trips: number }[], mode: WeeksMode): WeeklyAverage {
  const weeks = series.length;
  let totalTrips = 0;
  let activeWeeks = 0;
  for (const { trips } of series) {
    totalTrips += trips;
    if (trips > 0) activeWeeks++;
  }
  const divisor = mode === 'active' ? activeWeeks : weeks;
  return { weeks, activeWeeks, totalTrips, weeklyAverage: divisor === 0 ? 0 : totalTrips / divisor };
}
