-- Weekly average number of trips in a bounding box: the reference for
-- GET /api/v1/trips/weekly-average?bbox=...&match=... Brute force over every trip in silver.trips
-- (the API sums gold cells and looks at single trips only along the box edge; both must agree).
--
--   psql "$DATABASE_URL" -v bbox=14.40,50.05,14.45,50.09 -f sql/queries/weekly-average-by-bbox.sql
--   psql "$DATABASE_URL" -v bbox=14.40,50.05,14.45,50.09 -v match=any -v from=2018-05-01 -v to=2018-05-31 -f ...
--
-- bbox = minLon,minLat,maxLon,maxLat (degrees, longitude first), bounds inclusive.
-- match = both (default: origin AND destination inside) | origin | destination | any (origin OR destination).
-- Week, period, weekly average and datasource: as in weekly-average-by-region.sql.
-- Output: one row; `series` is a JSON array of {weekStart, trips}.
\if :{?bbox}
\else
  \echo 'usage: psql -v bbox=minLon,minLat,maxLon,maxLat [-v match=both|origin|destination|any] [-v from=YYYY-MM-DD] [-v to=YYYY-MM-DD] [-v datasource=<name>] [-v weeks=period|active] -f weekly-average-by-bbox.sql'
  \quit
\endif
\if :{?match}
\else
  \set match both
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
  SELECT split_part(:'bbox', ',', 1)::float8 AS min_lon, split_part(:'bbox', ',', 2)::float8 AS min_lat,
         split_part(:'bbox', ',', 3)::float8 AS max_lon, split_part(:'bbox', ',', 4)::float8 AS max_lat,
         lower(trim(:'match')) AS match,
         date_trunc('week', nullif(:'from', '')::date)::date AS from_week,
         date_trunc('week', nullif(:'to', '')::date)::date AS to_week
),
data_weeks AS (
  SELECT date_trunc('week', min(occurred_at))::date AS first_week, date_trunc('week', max(occurred_at))::date AS last_week
    FROM silver.trips
),
period AS (
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
    JOIN silver.datasources d ON d.datasource_id = t.datasource_id
    CROSS JOIN params p
    CROSS JOIN LATERAL (
      SELECT t.origin_lon BETWEEN p.min_lon AND p.max_lon AND t.origin_lat BETWEEN p.min_lat AND p.max_lat AS o,
             t.destination_lon BETWEEN p.min_lon AND p.max_lon AND t.destination_lat BETWEEN p.min_lat AND p.max_lat AS d
    ) inside
   WHERE CASE p.match
           WHEN 'origin' THEN inside.o
           WHEN 'destination' THEN inside.d
           WHEN 'any' THEN inside.o OR inside.d
           ELSE inside.o AND inside.d
         END
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
