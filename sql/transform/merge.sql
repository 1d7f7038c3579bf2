-- Merges segments into one: their rows of silver and of every segmented gold table are copied into
-- the new segment's partitions (created empty, unattached and unindexed by the transformer, which
-- builds their indexes afterwards, attaches them and drops the merged partitions in the same
-- transaction). Gold rows of the same key in several segments become one row. The transformer
-- substitutes `_segment ` (suffix of the new partitions), `:segment_no` (the new segment) and
-- `:sources` (the merged segments, a comma-separated list of numbers); the parent tables prune the
-- scans to the merged partitions.

INSERT INTO silver.trips_segment (line_no, origin_cell, destination_cell, origin_lon, origin_lat, destination_lon,
                                  destination_lat, occurred_at, segment_no, ingestion_no, region_id, datasource_id,
                                  tod_bucket, origin_sub, destination_sub)
SELECT line_no, origin_cell, destination_cell, origin_lon, origin_lat, destination_lon,
       destination_lat, occurred_at, :segment_no, ingestion_no, region_id, datasource_id,
       tod_bucket, origin_sub, destination_sub
  FROM silver.trips
 WHERE segment_no IN (:sources);

INSERT INTO gold.weekly_origin_cells_segment (origin_cell, week_start, datasource_id, trips, segment_no)
SELECT origin_cell, week_start, datasource_id, sum(trips), :segment_no
  FROM gold.weekly_origin_cells
 WHERE segment_no IN (:sources)
 GROUP BY 1, 2, 3;

INSERT INTO gold.weekly_destination_cells_segment (destination_cell, week_start, datasource_id, trips, segment_no)
SELECT destination_cell, week_start, datasource_id, sum(trips), :segment_no
  FROM gold.weekly_destination_cells
 WHERE segment_no IN (:sources)
 GROUP BY 1, 2, 3;

INSERT INTO gold.weekly_od_cells_segment (origin_cell, destination_cell, week_start, datasource_id, trips, segment_no)
SELECT origin_cell, destination_cell, week_start, datasource_id, sum(trips), :segment_no
  FROM gold.weekly_od_cells
 WHERE segment_no IN (:sources)
 GROUP BY 1, 2, 3, 4;

INSERT INTO gold.trip_group_parts_segment (region_id, origin_cell, destination_cell, tod_bucket, trip_count, first_seen,
                                           last_seen, datasource_ids, segment_no)
SELECT region_id, origin_cell, destination_cell, tod_bucket, sum(trip_count), min(first_seen), max(last_seen),
       gold.union_ids_agg(datasource_ids), :segment_no
  FROM gold.trip_group_parts
 WHERE segment_no IN (:sources)
 GROUP BY 1, 2, 3, 4;
