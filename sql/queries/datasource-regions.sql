-- "In which regions did this datasource appear?" — the reference for
-- GET /api/v1/insights/datasource-regions?datasource=<name> (counted straight from silver.trips).
--
--   psql "$DATABASE_URL" -v datasource=cheap_mobile -f sql/queries/datasource-regions.sql
--
-- Datasource = exact name (surrounding spaces ignored); an unknown one gives no rows.
-- Output: one row per region, by region name, with the datasource's trips there.
\if :{?datasource}
\else
  \echo 'usage: psql -v datasource=<name> -f datasource-regions.sql'
  \quit
\endif

SELECT r.name AS region, count(*) AS trips
  FROM silver.trips t
  JOIN silver.regions r ON r.region_id = t.region_id
  JOIN silver.datasources d ON d.datasource_id = t.datasource_id
 WHERE d.name = trim(:'datasource')
 GROUP BY r.name
 ORDER BY r.name;
