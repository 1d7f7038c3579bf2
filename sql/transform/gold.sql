-- Folds one silver segment into the gold tables that are not partitioned by segment (weekly region
-- counts, each region's latest trip: a few rows per segment), in the transaction that builds the
-- segment; the transformer aggregates and COPYs the segment's partitions of the other gold tables
-- (apps/transformer/src/transform/gold-deltas.ts).
-- `silver.segment` stands for the segment's table (silver.trips_<n>); the transformer substitutes it.
-- Returns one row: the gold rows upserted per table.
--
-- Each upsert inserts in key order, so concurrent builds lock rows in the same order;
-- weekly_region_counts, whose few rows every segment touches, comes last so that a concurrent build
-- waits on them for the shortest time.
WITH latest AS (
  SELECT region_id, max(occurred_at) AS occurred_at FROM silver.segment GROUP BY region_id
),
-- Each region's most recent trip (ties at the same second: the smallest datasource name).
region_latest AS (
  INSERT INTO gold.region_latest AS l (region_id, occurred_at, datasource_id)
  SELECT DISTINCT ON (t.region_id) t.region_id, t.occurred_at, t.datasource_id
    FROM silver.segment t
    JOIN latest m ON m.region_id = t.region_id AND m.occurred_at = t.occurred_at
    JOIN silver.datasources d ON d.datasource_id = t.datasource_id
   ORDER BY t.region_id, d.name
  ON CONFLICT (region_id) DO UPDATE SET occurred_at = EXCLUDED.occurred_at, datasource_id = EXCLUDED.datasource_id
  WHERE EXCLUDED.occurred_at > l.occurred_at
     OR (EXCLUDED.occurred_at = l.occurred_at
         AND (SELECT name FROM silver.datasources WHERE datasource_id = EXCLUDED.datasource_id)
           < (SELECT name FROM silver.datasources WHERE datasource_id = l.datasource_id))
  RETURNING 1
),
weekly_regions AS (
  INSERT INTO gold.weekly_region_counts AS w (region_id, week_start, datasource_id, trips)
  SELECT region_id, date_bin('7 days', occurred_at, '2000-01-03')::date, datasource_id, count(*)
    FROM silver.segment
   GROUP BY 1, 2, 3
   ORDER BY 1, 2, 3
  ON CONFLICT (region_id, week_start, datasource_id) DO UPDATE SET trips = w.trips + EXCLUDED.trips
  RETURNING 1
)
SELECT (SELECT count(*) FROM region_latest) AS region_latest, (SELECT count(*) FROM weekly_regions) AS weekly_regions
