-- Only completed ingestions count (docs/architecture.md, "What counts"). A segment is built as before,
-- but its partitions stay detached (meta.segments.attached = false) and its share of the unpartitioned
-- gold tables waits in gold.ingestion_region_* until the ingestion completes: the transaction that
-- completes it attaches all its segments and folds those rows in at once. A failed ingestion's segments are
-- dropped and never counted. Segments built before this migration were attached when built.
ALTER TABLE meta.segments ADD COLUMN attached boolean NOT NULL DEFAULT true;
CREATE INDEX segments_detached_idx ON meta.segments (ingestion_no) WHERE NOT attached;

-- Each ingestion's share of the unpartitioned gold tables, one set of rows per segment it built
-- (sql/transform/gold.sql): its weekly region counts and each region's latest trips. Kept after the
-- ingestion completes, so that gold.weekly_region_counts = the sum of these over completed ingestions,
-- and gold.region_latest = the latest of these over completed ingestions: a retraction subtracts and
-- recomputes from them without reading silver.
CREATE TABLE gold.ingestion_region_counts (
  ingestion_no integer NOT NULL,
  region_id smallint NOT NULL,
  week_start date NOT NULL,
  datasource_id smallint NOT NULL,
  trips bigint NOT NULL
);
CREATE INDEX ingestion_region_counts_ingestion_idx ON gold.ingestion_region_counts (ingestion_no);
CREATE TABLE gold.ingestion_region_latest (
  ingestion_no integer NOT NULL,
  region_id smallint NOT NULL,
  occurred_at timestamp NOT NULL,
  datasource_id smallint NOT NULL
);
CREATE INDEX ingestion_region_latest_ingestion_idx ON gold.ingestion_region_latest (ingestion_no);
CREATE INDEX ingestion_region_latest_region_idx ON gold.ingestion_region_latest (region_id, occurred_at);

-- The ingestions completed before this migration, from silver (one scan). Rows of ingestions that
-- failed before it stay counted in gold, as they were.
INSERT INTO gold.ingestion_region_counts (ingestion_no, region_id, week_start, datasource_id, trips)
SELECT t.ingestion_no, t.region_id, date_bin('7 days', t.occurred_at, '2000-01-03')::date, t.datasource_id, count(*)
  FROM silver.trips t
  JOIN meta.ingestions i ON i.ingestion_no = t.ingestion_no AND i.state = 'completed'
 GROUP BY 1, 2, 3, 4;
INSERT INTO gold.ingestion_region_latest (ingestion_no, region_id, occurred_at, datasource_id)
SELECT DISTINCT t.ingestion_no, t.region_id, t.occurred_at, t.datasource_id
  FROM silver.trips t
  JOIN (SELECT s.ingestion_no, s.region_id, max(s.occurred_at) AS occurred_at
          FROM silver.trips s
          JOIN meta.ingestions i ON i.ingestion_no = s.ingestion_no AND i.state = 'completed'
         GROUP BY 1, 2) m
    ON m.ingestion_no = t.ingestion_no AND m.region_id = t.region_id AND m.occurred_at = t.occurred_at;

-- Retraction (DELETE /api/v1/ingestions/:id): a completed ingestion becomes `retracting`, then
-- `retracted` once its rows have left silver and gold.
ALTER TABLE meta.ingestions DROP CONSTRAINT ingestions_state_check;
ALTER TABLE meta.ingestions ADD CONSTRAINT ingestions_state_check
  CHECK (state IN ('accepted', 'uploading', 'processing', 'completed', 'failed', 'retracting', 'retracted'));
ALTER TABLE meta.ingestions ADD COLUMN retraction_requested_at timestamptz;
ALTER TABLE meta.ingestions ADD COLUMN retracted_at timestamptz;
