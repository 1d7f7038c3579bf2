-- Weekly average number of trips in a region: the reference for GET /api/v1/trips/weekly-average?region=
-- Counted straight from silver.trips (no gold), so it also checks the API's pre-aggregates.
--
--   psql "$DATABASE_URL" -v region=Prague -f sql/queries/weekly-average-by-region.sql
--   psql "$DATABASE_URL" -v region=Prague -v from=2018-05-01 -v to=2018-05-31 -v datasource=cheap_mobile -f ...
--
-- Definitions (same as the API):
-- - week = ISO week (Monday start) of the trip's local date: date_trunc('week', occurred_at)::date;
-- - period = the ISO weeks containing from..to (inclusive days); without from/to, every week from the
--   first to the last week holding any trip of ANY region; with only one of them the other end comes
--   from the data (and never crosses the given one);
-- - weekly average = trips in the period / weeks in the period, weeks without trips counting as zero
--   (weeks=period, the default); with -v weeks=active, / the weeks of the period with at least one trip
--   (0 when there is none); any other value counts as period (the API refuses it: invalid_weeks);
-- - region matched case-insensitively, surrounding spaces ignored; unknown region = zero trips;
-- - datasource (optional) = exact name; unknown datasource = zero trips.
-- Output: one row (weeks_mode, weeks, active_weeks, total_trips, weekly_average, ...); `series` is a JSON
-- array of {weekStart, trips}.
\if :{?region}
\else
  \echo 'usage: psql -v region=<name> [-v from=YYYY-MM-DD] [-v to=YYYY-MM-DD] [-v datasource=<name>] [-v weeks=period|active] -f weekly-average-by-region.sql'
  \quit
\endif
\if :{?from}
\else
  \set from ''
\endif
\if :{?to}
\else
  \set to ''
\endif
\if :{?datasource}
\else
  \set datasource ''
\endif
\if :{?weeks}
\else
  \set weeks period
\endif

WITH params AS (
  SELECT date_trunc('week', nullif(:'from', '')::date)::date AS from_week,
         date_trunc('week', nullif(:'to', '')::date)::date AS to_week
),
data_weeks AS (
  SELECT date_trunc('week', min(occurred_at))::date AS first_week, date_trunc('week', max(occurred_at))::date AS last_week
    FROM silver.trips
),
period AS (
  -- least/greatest ignore NULLs: a bound given alone stands when there is no data.
  SELECT CASE WHEN p.from_week IS NOT NULL THEN p.from_week
              WHEN p.to_week IS NOT NULL THEN least(d.first_week, p.to_week)
              ELSE d.first_week END AS first_week,
         CASE WHEN p.to_week IS NOT NULL THEN p.to_week
              WHEN p.from_week IS NOT NULL THEN greatest(d.last_week, p.from_week)
              ELSE d.last_week END AS last_week
    FROM params p, data_weeks d
),
weeks AS (
  SELECT w::date AS week_start
    FROM period, generate_series(period.first_week, period.last_week, interval '1 week') AS w
),
counts AS (
  SELECT date_trunc('week', t.occurred_at)::date AS week_start, count(*) AS trips
    FROM silver.trips t
    JOIN silver.regions r ON r.region_id = t.region_id
    JOIN silver.datasources d ON d.datasource_id = t.datasource_id
   WHERE r.name_key = lower(trim(:'region'))
     AND (:'datasource' = '' OR d.name = trim(:'datasource'))
   GROUP BY 1
),
series AS (
  SELECT w.week_start, coalesce(c.trips, 0) AS trips
    FROM weeks w LEFT JOIN counts c USING (week_start)
)
SELECT to_char(p.first_week, 'YYYY-MM-DD') AS "from",
       to_char(p.last_week + 6, 'YYYY-MM-DD') AS "to",
       lower(trim(:'weeks')) AS weeks_mode,
       (SELECT count(*) FROM series) AS weeks,
       (SELECT count(*) FROM series WHERE trips > 0) AS active_weeks,
       (SELECT coalesce(sum(trips), 0) FROM series) AS total_trips,
       -- weeks=active divides by the weeks with trips only; no such week (or no week at all) = 0.
       coalesce((SELECT sum(trips)::float8 / nullif(CASE WHEN lower(trim(:'weeks')) = 'active'
                                                         THEN count(*) FILTER (WHERE trips > 0)
                                                         ELSE count(*) END, 0)
                   FROM series), 0) AS weekly_average,
       (SELECT coalesce(json_agg(json_build_object('weekStart', to_char(week_start, 'YYYY-MM-DD'), 'trips', trips) ORDER BY week_start), '[]')
          FROM series) AS series
  FROM period p;
