-- Only completed ingestions count (docs/architecture.md, "What counts"). A segment is built as before,
-- but its partitions stay detached (meta.segments.attached = false) and its share of the unpartitioned
-- gold tables waits in gold.pending_* until the ingestion completes: the transaction that completes it
-- attaches all its segments and folds its pending rows at once. A failed ingestion's segments are
-- dropped and never counted. Segments built before this migration were attached when built.
ALTER TABLE meta.segments ADD COLUMN attached boolean NOT NULL DEFAULT true;
CREATE INDEX segments_detached_idx ON meta.segments (ingestion_no) WHERE NOT attached;

-- Per segment: its weekly region counts and each region's latest trips (sql/transform/gold.sql).
CREATE TABLE gold.pending_region_counts (
  ingestion_no integer NOT NULL,
  region_id smallint NOT NULL,
  week_start date NOT NULL,
  datasource_id smallint NOT NULL,
  trips bigint NOT NULL
);
CREATE INDEX pending_region_counts_ingestion_idx ON gold.pending_region_counts (ingestion_no);
CREATE TABLE gold.pending_region_latest (
  ingestion_no integer NOT NULL,
  region_id smallint NOT NULL,
  occurred_at timestamp NOT NULL,
  datasource_id smallint NOT NULL
);
CREATE INDEX pending_region_latest_ingestion_idx ON gold.pending_region_latest (ingestion_no);

-- Retraction (DELETE /api/v1/ingestions/:id): a completed ingestion becomes `retracting`, then
-- `retracted` once its rows have left silver and gold.
ALTER TABLE meta.ingestions DROP CONSTRAINT ingestions_state_check;
ALTER TABLE meta.ingestions ADD CONSTRAINT ingestions_state_check
  CHECK (state IN ('accepted', 'uploading', 'processing', 'completed', 'failed', 'retracting', 'retracted'));
ALTER TABLE meta.ingestions ADD COLUMN retraction_requested_at timestamptz;
ALTER TABLE meta.ingestions ADD COLUMN retracted_at timestamptz;
