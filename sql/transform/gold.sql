-- Folds one silver segment into the gold tables that are not partitioned by segment (trip groups,
-- weekly region counts, each region's latest trip), in the transaction that builds the segment;
-- gold-cells.sql builds the segment's partitions of the per-cell tables.
-- `silver.segment` stands for the segment's table (silver.trips_<n>); the transformer substitutes it.
-- Returns one row: the silver rows folded, then the gold rows upserted per table.
--
-- Each upsert groups by its key and inserts in key order, so concurrent folds lock rows in the same
-- order; weekly_region_counts, whose few rows every batch touches, comes last so that a concurrent
-- fold waits on them for the shortest time.
WITH rows AS MATERIALIZED (
  SELECT t.region_id, t.datasource_id, t.occurred_at, t.origin_cell, t.destination_cell, t.tod_bucket,
         date_trunc('week', t.occurred_at)::date AS week_start
    FROM silver.segment t
),
trip_groups AS (
  INSERT INTO gold.trip_groups AS g (region_id, origin_cell, destination_cell, tod_bucket, trip_count, first_seen, last_seen, datasource_ids)
  SELECT region_id, origin_cell, destination_cell, tod_bucket, count(*), min(occurred_at), max(occurred_at),
         array_agg(DISTINCT datasource_id ORDER BY datasource_id)
  FROM rows
  GROUP BY region_id, origin_cell, destination_cell, tod_bucket
  ORDER BY region_id, origin_cell, destination_cell, tod_bucket
  ON CONFLICT (region_id, origin_cell, destination_cell, tod_bucket) DO UPDATE SET
    trip_count = g.trip_count + EXCLUDED.trip_count,
    first_seen = least(g.first_seen, EXCLUDED.first_seen),
    last_seen = greatest(g.last_seen, EXCLUDED.last_seen),
    datasource_ids = CASE
      WHEN EXCLUDED.datasource_ids <@ g.datasource_ids THEN g.datasource_ids
      ELSE ARRAY(SELECT DISTINCT u FROM unnest(g.datasource_ids || EXCLUDED.datasource_ids) u ORDER BY u)
    END
  RETURNING 1
),
-- Each region's most recent trip (ties at the same second: the smallest datasource name).
region_latest AS (
  INSERT INTO gold.region_latest AS l (region_id, occurred_at, datasource_id)
  SELECT DISTINCT ON (r.region_id) r.region_id, r.occurred_at, r.datasource_id
  FROM rows r
  JOIN silver.datasources d ON d.datasource_id = r.datasource_id
  ORDER BY r.region_id, r.occurred_at DESC, d.name
  ON CONFLICT (region_id) DO UPDATE SET occurred_at = EXCLUDED.occurred_at, datasource_id = EXCLUDED.datasource_id
  WHERE EXCLUDED.occurred_at > l.occurred_at
     OR (EXCLUDED.occurred_at = l.occurred_at
         AND (SELECT name FROM silver.datasources WHERE datasource_id = EXCLUDED.datasource_id)
           < (SELECT name FROM silver.datasources WHERE datasource_id = l.datasource_id))
  RETURNING 1
),
weekly_regions AS (
  INSERT INTO gold.weekly_region_counts AS w (region_id, week_start, datasource_id, trips)
  SELECT region_id, week_start, datasource_id, count(*)
  FROM rows
  GROUP BY region_id, week_start, datasource_id
  ORDER BY region_id, week_start, datasource_id
  ON CONFLICT (region_id, week_start, datasource_id) DO UPDATE SET trips = w.trips + EXCLUDED.trips
  RETURNING 1
)
SELECT
  (SELECT count(*) FROM rows) AS folded_rows,
  (SELECT count(*) FROM trip_groups) AS trip_groups,
  (SELECT count(*) FROM region_latest) AS region_latest,
  (SELECT count(*) FROM weekly_regions) AS weekly_regions
