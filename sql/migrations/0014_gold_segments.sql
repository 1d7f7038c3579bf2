-- Gold's per-cell weekly counts become partitioned by segment, like silver (0013): the transaction
-- that builds a silver segment aggregates it into one new partition of each table and builds that
-- partition's index once, instead of upserting every key into one large index. A key may now have a
-- row in several partitions; every query already sums. Merging segments merges these partitions too.
-- The rows folded before this migration form segment 0. trip_groups, weekly_region_counts and
-- region_latest stay single tables.

ALTER TABLE gold.weekly_origin_cells RENAME TO weekly_origin_cells_legacy;
ALTER TABLE gold.weekly_origin_cells_legacy RENAME CONSTRAINT weekly_origin_cells_pkey TO weekly_origin_cells_legacy_pkey;
ALTER TABLE gold.weekly_origin_cells_legacy ADD COLUMN segment_no integer NOT NULL DEFAULT 0 CHECK (segment_no = 0);
CREATE TABLE gold.weekly_origin_cells (
  origin_cell   bigint   NOT NULL,
  week_start    date     NOT NULL,
  datasource_id smallint NOT NULL,
  trips         bigint   NOT NULL,
  segment_no    integer  NOT NULL
) PARTITION BY LIST (segment_no);
ALTER TABLE gold.weekly_origin_cells ATTACH PARTITION gold.weekly_origin_cells_legacy FOR VALUES IN (0);
CREATE INDEX weekly_origin_cells_key_idx ON gold.weekly_origin_cells (origin_cell, week_start, datasource_id) INCLUDE (trips);
ALTER TABLE gold.weekly_origin_cells_legacy DROP CONSTRAINT weekly_origin_cells_legacy_pkey;

ALTER TABLE gold.weekly_destination_cells RENAME TO weekly_destination_cells_legacy;
ALTER TABLE gold.weekly_destination_cells_legacy RENAME CONSTRAINT weekly_destination_cells_pkey TO weekly_destination_cells_legacy_pkey;
ALTER TABLE gold.weekly_destination_cells_legacy ADD COLUMN segment_no integer NOT NULL DEFAULT 0 CHECK (segment_no = 0);
CREATE TABLE gold.weekly_destination_cells (
  destination_cell bigint   NOT NULL,
  week_start       date     NOT NULL,
  datasource_id    smallint NOT NULL,
  trips            bigint   NOT NULL,
  segment_no       integer  NOT NULL
) PARTITION BY LIST (segment_no);
ALTER TABLE gold.weekly_destination_cells ATTACH PARTITION gold.weekly_destination_cells_legacy FOR VALUES IN (0);
CREATE INDEX weekly_destination_cells_key_idx ON gold.weekly_destination_cells (destination_cell, week_start, datasource_id) INCLUDE (trips);
ALTER TABLE gold.weekly_destination_cells_legacy DROP CONSTRAINT weekly_destination_cells_legacy_pkey;

ALTER TABLE gold.weekly_od_cells RENAME TO weekly_od_cells_legacy;
ALTER TABLE gold.weekly_od_cells_legacy RENAME CONSTRAINT weekly_od_cells_pkey TO weekly_od_cells_legacy_pkey;
ALTER TABLE gold.weekly_od_cells_legacy ADD COLUMN segment_no integer NOT NULL DEFAULT 0 CHECK (segment_no = 0);
CREATE TABLE gold.weekly_od_cells (
  origin_cell      bigint   NOT NULL,
  destination_cell bigint   NOT NULL,
  week_start       date     NOT NULL,
  datasource_id    smallint NOT NULL,
  trips            bigint   NOT NULL,
  segment_no       integer  NOT NULL
) PARTITION BY LIST (segment_no);
ALTER TABLE gold.weekly_od_cells ATTACH PARTITION gold.weekly_od_cells_legacy FOR VALUES IN (0);
CREATE INDEX weekly_od_cells_key_idx ON gold.weekly_od_cells (origin_cell, destination_cell, week_start, datasource_id) INCLUDE (trips);
ALTER TABLE gold.weekly_od_cells_legacy DROP CONSTRAINT weekly_od_cells_legacy_pkey;
