-- Gold's per-segment counts as integer instead of bigint (issue #10, storage). A count in one
-- segment's partition is at most the segment's rows, and no merge makes a segment larger than
-- MERGE_MAX_ROWS (far below 2^31); answers add partitions up with sum(), which is bigint for
-- integer input. With the columns' alignment this saves 8 bytes per row of weekly_origin_cells,
-- weekly_destination_cells, weekly_od_cells (heaps) and trip_group_parts (heap and size index);
-- docs/benchmarks.md (session 9) has the figures of this change together with the partitions' full
-- index pages. On a database that already holds segments this rewrites the four tables and their
-- indexes once.
DROP VIEW gold.trip_groups;

ALTER TABLE gold.weekly_origin_cells ALTER COLUMN trips TYPE integer;
ALTER TABLE gold.weekly_destination_cells ALTER COLUMN trips TYPE integer;
ALTER TABLE gold.weekly_od_cells ALTER COLUMN trips TYPE integer;
ALTER TABLE gold.trip_group_parts ALTER COLUMN trip_count TYPE integer;

CREATE VIEW gold.trip_groups AS
  SELECT region_id, origin_cell, destination_cell, tod_bucket,
         sum(trip_count)::bigint AS trip_count,
         min(first_seen) AS first_seen,
         max(last_seen) AS last_seen,
         gold.union_ids_agg(datasource_ids) AS datasource_ids
    FROM gold.trip_group_parts
   GROUP BY region_id, origin_cell, destination_cell, tod_bucket;
