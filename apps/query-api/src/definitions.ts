/**
 * The definitions users ask about, written once and quoted in the OpenAPI descriptions (and the
 * README): what a week is, what the average divides by, what "in the box" means.
 */
export const DEFINITIONS = {
  week: "Week = ISO week (Monday to Sunday) of the trip's local date: trips carry their local wall-clock time without a zone, and a trip belongs to the week whose Monday is `date_trunc('week', datetime)`.",
  period:
    'Period = the ISO weeks containing `from`..`to` (inclusive days, YYYY-MM-DD), rounded out to whole weeks. Without from/to it is every week from the first to the last week with any ingested trip, over ALL regions and datasources (so every area is averaged over the same weeks). With only one of them, the other end comes from the data (a period never ends before it starts: if the data lie entirely on the other side, the period is that single week).',
  weeklyAverage:
    'Weekly average = trips in the area during the period ÷ number of weeks in the period; weeks without trips count as zero (`weeks=period`, the default). With `weeks=active` it divides by the weeks of the period that have at least one trip in the filter instead (0 when no week has one). The answer also carries the per-week series, the total, the number of weeks of the period (`weeks`), the number with trips (`activeWeeks`) and which one the average used (`weeksMode`). Results are exact (equal to a count over every single trip).',
  weeks:
    '`weeks` chooses what the weekly average divides by: `period` (default) — every week of the period, weeks without trips counting as zero; `active` — only the weeks of the period with at least one trip in the filter (area, datasource, period), as other tools compute it. Example with the 100-row sample (5 weeks, 2018-04-30 to 2018-06-03): bbox=7.5415091,45.091605,10.0588964,53.4948642&match=both has 3 trips, in 2 weeks: 0.6 a week with weeks=period, 1.5 with weeks=active. Prague has trips in every week: 6.8 either way.',
  bbox: 'Bounding box = `minLon,minLat,maxLon,maxLat` in degrees (WGS84, OGC axis order: longitude first), bounds inclusive; longitudes within ±180, latitudes within ±90, min ≤ max (boxes across the antimeridian are not supported; a box may be a line or a point: min = max).',
  match:
    '`match` chooses which end of a trip must lie in the box: `both` (default — a trip "in the box" starts and ends there), `origin`, `destination`, or `any` (origin or destination, i.e. origin + destination − both).',
  region:
    'Region = the `region` column of the uploads, matched case-insensitively and ignoring surrounding spaces. An unknown region is not an error: the answer is 200 with zero trips over the period.',
  datasource:
    '`datasource` restricts the count to trips of one datasource (exact name). An unknown datasource is not an error: the answer is 200 with zero trips.',
  similarity:
    'Similar trips = same region, origin in the same grid cell, destination in the same grid cell, and time of day in the same bucket. Cells are squares of GRID_CELL_DEGREES degrees (default 0.01° ≈ 1.1 km north–south, ≈ 0.7 km east–west at 50°N) aligned on multiples of that size; buckets are TIME_BUCKET_MINUTES long (default 30) starting at midnight. The time of day is the local wall-clock time of the trip.',
} as const;
