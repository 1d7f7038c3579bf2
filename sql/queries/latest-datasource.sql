-- "Of the N most common regions, which datasource has the most recent trip?" — the reference for
-- GET /api/v1/insights/latest-datasource?topRegions=N (counted straight from silver.trips).
--
--   psql "$DATABASE_URL" -f sql/queries/latest-datasource.sql            (N = 2)
--   psql "$DATABASE_URL" -v top=3 -f sql/queries/latest-datasource.sql
--
-- Most common = most trips, ties by region name. Each region's latest trip is its greatest local
-- datetime (ties at the same second: datasource name). The overall answer is the row with
-- is_latest = true: the latest of those trips (ties: datasource name, then the more common region).
\if :{?top}
\else
  \set top 2
\endif

WITH top_regions AS (
  SELECT t.region_id, r.name, count(*) AS trips
    FROM silver.trips t
    JOIN silver.regions r ON r.region_id = t.region_id
   GROUP BY t.region_id, r.name
   ORDER BY trips DESC, r.name
   LIMIT :'top'::integer
),
latest AS (
  SELECT tr.name AS region, tr.trips, l.occurred_at, l.datasource
    FROM top_regions tr
    CROSS JOIN LATERAL (
      SELECT s.occurred_at, d.name AS datasource
        FROM silver.trips s
        JOIN silver.datasources d ON d.datasource_id = s.datasource_id
       WHERE s.region_id = tr.region_id
       ORDER BY s.occurred_at DESC, d.name
       LIMIT 1
    ) l
)
SELECT region, trips, datasource AS latest_datasource,
       to_char(occurred_at, 'YYYY-MM-DD HH24:MI:SS') AS latest_datetime,
       row_number() OVER (ORDER BY occurred_at DESC, datasource, trips DESC, region) = 1 AS is_latest
  FROM latest
 ORDER BY trips DESC, region;
