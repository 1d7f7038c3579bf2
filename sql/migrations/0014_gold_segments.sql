-- Gold's large tables become partitioned by segment, like silver (0013): the transaction that builds
-- a silver segment aggregates it into one new partition of each table and builds that partition's
-- index once, instead of upserting every key into one large index (at 1M rows the upserts cost more
-- than everything else the transformer does). A key may now have a row in several partitions: the
-- per-cell counts are summed by every query, and the trip groups are read through a view that adds
-- up a group's parts. Merging segments merges these partitions too. The rows folded before this
-- migration form segment 0. weekly_region_counts and region_latest (a few rows per segment) stay
-- single tables, upserted.

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

-- Trip groups: the parts of each group per segment, and the view that adds them up.
ALTER TABLE gold.trip_groups RENAME TO trip_group_parts_legacy;
ALTER TABLE gold.trip_group_parts_legacy RENAME CONSTRAINT trip_groups_pkey TO trip_group_parts_legacy_pkey;
DROP INDEX gold.trip_groups_size_idx;
ALTER TABLE gold.trip_group_parts_legacy ADD COLUMN segment_no integer NOT NULL DEFAULT 0 CHECK (segment_no = 0);
CREATE TABLE gold.trip_group_parts (
  region_id        smallint   NOT NULL,
  origin_cell      bigint     NOT NULL,
  destination_cell bigint     NOT NULL,
  tod_bucket       smallint   NOT NULL,
  trip_count       bigint     NOT NULL,
  first_seen       timestamp  NOT NULL,
  last_seen        timestamp  NOT NULL,
  datasource_ids   smallint[] NOT NULL,
  segment_no       integer    NOT NULL
) PARTITION BY LIST (segment_no);
ALTER TABLE gold.trip_group_parts ATTACH PARTITION gold.trip_group_parts_legacy FOR VALUES IN (0);
CREATE INDEX trip_group_parts_key_idx ON gold.trip_group_parts (region_id, origin_cell, destination_cell, tod_bucket);
ALTER TABLE gold.trip_group_parts_legacy DROP CONSTRAINT trip_group_parts_legacy_pkey;

-- The sorted union of two sets of datasource ids, and its aggregate.
CREATE FUNCTION gold.union_ids(a smallint[], b smallint[]) RETURNS smallint[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN b <@ a THEN a ELSE ARRAY(SELECT DISTINCT u FROM unnest(a || b) AS u ORDER BY u) END
$$;
CREATE AGGREGATE gold.union_ids_agg(smallint[]) (SFUNC = gold.union_ids, STYPE = smallint[], INITCOND = '{}');

-- One row per group, as before 0014. A filter on region_id, origin_cell, destination_cell or
-- tod_bucket is applied below the GROUP BY, on the parts' index.
CREATE VIEW gold.trip_groups AS
SELECT region_id, origin_cell, destination_cell, tod_bucket,
       sum(trip_count)::bigint AS trip_count, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
       gold.union_ids_agg(datasource_ids) AS datasource_ids
  FROM gold.trip_group_parts
 GROUP BY region_id, origin_cell, destination_cell, tod_bucket;
