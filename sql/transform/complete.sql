-- Folds a completing ingestion's share of the unpartitioned gold tables (gold.ingestion_region_*,
-- written per segment by sql/transform/gold.sql) into them, in the transaction that completes it and
-- attaches its segments. The rows stay: a retraction subtracts them again. `:ingestion_no` is
-- substituted by the transformer. Each upsert inserts in key order, so concurrent completions lock rows
-- in the same order; weekly_region_counts, whose few rows every ingestion touches, comes last so that a
-- concurrent completion waits on them for the shortest time.
WITH region_latest AS (
  -- Each region's most recent trip (ties at the same second: the smallest datasource name).
  INSERT INTO gold.region_latest AS l (region_id, occurred_at, datasource_id)
  SELECT DISTINCT ON (p.region_id) p.region_id, p.occurred_at, p.datasource_id
    FROM gold.ingestion_region_latest p
    JOIN silver.datasources d ON d.datasource_id = p.datasource_id
   WHERE p.ingestion_no = :ingestion_no
   ORDER BY p.region_id, p.occurred_at DESC, d.name
  ON CONFLICT (region_id) DO UPDATE SET occurred_at = EXCLUDED.occurred_at, datasource_id = EXCLUDED.datasource_id
  WHERE EXCLUDED.occurred_at > l.occurred_at
     OR (EXCLUDED.occurred_at = l.occurred_at
         AND (SELECT name FROM silver.datasources WHERE datasource_id = EXCLUDED.datasource_id)
           < (SELECT name FROM silver.datasources WHERE datasource_id = l.datasource_id))
  RETURNING 1
),
weekly_regions AS (
  INSERT INTO gold.weekly_region_counts AS w (region_id, week_start, datasource_id, trips)
  SELECT region_id, week_start, datasource_id, sum(trips)
    FROM gold.ingestion_region_counts
   WHERE ingestion_no = :ingestion_no
   GROUP BY 1, 2, 3
   ORDER BY 1, 2, 3
  ON CONFLICT (region_id, week_start, datasource_id) DO UPDATE SET trips = w.trips + EXCLUDED.trips
  RETURNING 1
)
SELECT (SELECT count(*) FROM region_latest) AS region_latest, (SELECT count(*) FROM weekly_regions) AS weekly_regions
