-- Region and datasource ids become integer (issue #11): with smallint keys the 32,768th distinct
-- region (or datasource) could not be inserted, and every later upload naming a new one failed. The
-- limit is now 2^31 - 1 of each. Silver's rows, the weekly cell rows and every index entry keep
-- their on-disk sizes (the wider columns take what was alignment padding); a trip group's array of
-- datasource ids grows by 2 bytes per id (sql/transform/README.md, "Dictionary ids").
--
-- ALTER COLUMN … TYPE rewrites each table and its indexes under an ACCESS EXCLUSIVE lock (13 s for a
-- 1M-row database): run it with the services stopped. A transformer of before this migration must not
-- run after it: its binary COPY sends int2 ids, which PostgreSQL refuses as a protocol error (08P01),
-- and that class is retried as transient. An identity column's sequence follows its column's
-- type. On a partitioned table the change reaches every attached partition (segment 0, the legacy
-- rows, included); the partitions of segments still detached (ingestions in progress, or failed and
-- not yet swept: meta.segments.attached = false) are changed one by one, or attaching them would fail.

-- The sorted union of datasource ids, its aggregate and the view over it name the type.
DROP VIEW gold.trip_groups;
DROP AGGREGATE gold.union_ids_agg(smallint[]);
DROP FUNCTION gold.union_ids(smallint[], smallint[]);

ALTER TABLE silver.regions ALTER COLUMN region_id TYPE integer;
ALTER TABLE silver.datasources ALTER COLUMN datasource_id TYPE integer;

ALTER TABLE silver.trips ALTER COLUMN region_id TYPE integer, ALTER COLUMN datasource_id TYPE integer;
ALTER TABLE gold.trip_group_parts ALTER COLUMN region_id TYPE integer, ALTER COLUMN datasource_ids TYPE integer[];
ALTER TABLE gold.weekly_origin_cells ALTER COLUMN datasource_id TYPE integer;
ALTER TABLE gold.weekly_destination_cells ALTER COLUMN datasource_id TYPE integer;
ALTER TABLE gold.weekly_od_cells ALTER COLUMN datasource_id TYPE integer;

DO $$
DECLARE
  n integer;
BEGIN
  FOR n IN SELECT segment_no FROM meta.segments WHERE NOT attached ORDER BY segment_no LOOP
    EXECUTE format('ALTER TABLE IF EXISTS silver.%I ALTER COLUMN region_id TYPE integer, '
                   'ALTER COLUMN datasource_id TYPE integer', 'trips_' || n);
    EXECUTE format('ALTER TABLE IF EXISTS gold.%I ALTER COLUMN region_id TYPE integer, '
                   'ALTER COLUMN datasource_ids TYPE integer[]', 'trip_group_parts_' || n);
    EXECUTE format('ALTER TABLE IF EXISTS gold.%I ALTER COLUMN datasource_id TYPE integer', 'weekly_origin_cells_' || n);
    EXECUTE format('ALTER TABLE IF EXISTS gold.%I ALTER COLUMN datasource_id TYPE integer', 'weekly_destination_cells_' || n);
    EXECUTE format('ALTER TABLE IF EXISTS gold.%I ALTER COLUMN datasource_id TYPE integer', 'weekly_od_cells_' || n);
  END LOOP;
END $$;

ALTER TABLE gold.weekly_region_counts ALTER COLUMN region_id TYPE integer, ALTER COLUMN datasource_id TYPE integer;
ALTER TABLE gold.region_latest ALTER COLUMN region_id TYPE integer, ALTER COLUMN datasource_id TYPE integer;
ALTER TABLE gold.ingestion_region_counts ALTER COLUMN region_id TYPE integer, ALTER COLUMN datasource_id TYPE integer;
ALTER TABLE gold.ingestion_region_latest ALTER COLUMN region_id TYPE integer, ALTER COLUMN datasource_id TYPE integer;

CREATE FUNCTION gold.union_ids(a integer[], b integer[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN b <@ a THEN a ELSE ARRAY(SELECT DISTINCT u FROM unnest(a || b) AS u ORDER BY u) END
$$;
CREATE AGGREGATE gold.union_ids_agg(integer[]) (SFUNC = gold.union_ids, STYPE = integer[], INITCOND = '{}');

-- As in 0014: one row per group; a filter on the key is applied below the GROUP BY.
CREATE VIEW gold.trip_groups AS
SELECT region_id, origin_cell, destination_cell, tod_bucket,
       sum(trip_count)::bigint AS trip_count, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
       gold.union_ids_agg(datasource_ids) AS datasource_ids
  FROM gold.trip_group_parts
 GROUP BY region_id, origin_cell, destination_cell, tod_bucket;
