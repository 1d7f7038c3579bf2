-- One silver segment's share of the gold tables that are not partitioned by segment (weekly region
-- counts, each region's latest trip: a few rows per segment), written to gold.ingestion_region_* by the
-- transaction that builds the segment; sql/transform/complete.sql folds them in when the ingestion
-- completes (only completed ingestions count), and a retraction takes them out again. The transformer aggregates and COPYs the segment's
-- partitions of the other gold tables (apps/transformer/src/transform/gold-deltas.ts).
-- `silver.segment` stands for the segment's table (silver.trips_<n>) and `:ingestion_no` for its
-- ingestion; the transformer substitutes both. Returns one row: the rows written per table.
WITH latest AS (
  SELECT region_id, max(occurred_at) AS occurred_at FROM silver.segment GROUP BY region_id
),
-- Each region's most recent trips in the segment (every datasource at that second: complete.sql
-- breaks the tie by datasource name).
region_latest AS (
  INSERT INTO gold.ingestion_region_latest (ingestion_no, region_id, occurred_at, datasource_id)
  SELECT DISTINCT :ingestion_no, t.region_id, t.occurred_at, t.datasource_id
    FROM silver.segment t
    JOIN latest m ON m.region_id = t.region_id AND m.occurred_at = t.occurred_at
  RETURNING 1
),
weekly_regions AS (
  INSERT INTO gold.ingestion_region_counts (ingestion_no, region_id, week_start, datasource_id, trips)
  SELECT :ingestion_no, region_id, date_bin('7 days', occurred_at, '2000-01-03')::date, datasource_id, count(*)
    FROM silver.segment
   GROUP BY 2, 3, 4
  RETURNING 1
)
SELECT (SELECT count(*) FROM region_latest) AS region_latest, (SELECT count(*) FROM weekly_regions) AS weekly_regions
