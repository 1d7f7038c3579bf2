-- Rebuilds segment :source without the rows of ingestion :ingestion_no (a retraction,
-- docs/architecture.md "What counts"): its other rows are copied into the new segment's silver
-- partition, and the new segment's gold partitions are aggregated from them, the GROUP BY that
-- apps/transformer/src/transform/gold-deltas.ts computes in the transformer for a new segment
-- (gold-deltas.int-spec.ts holds the two to the same answer). The partitions are created empty,
-- unattached and unindexed by the transformer, which builds their indexes afterwards, attaches them
-- and drops the source's partitions in the same transaction. The transformer substitutes
-- `_segment ` (suffix of the new partitions), `:segment_no`, `:source` and `:ingestion_no`.

INSERT INTO silver.trips_segment (line_no, origin_cell, destination_cell, origin_lon, origin_lat, destination_lon,
                                  destination_lat, occurred_at, segment_no, ingestion_no, region_id, datasource_id,
                                  tod_bucket, origin_sub, destination_sub)
SELECT line_no, origin_cell, destination_cell, origin_lon, origin_lat, destination_lon,
       destination_lat, occurred_at, :segment_no, ingestion_no, region_id, datasource_id,
       tod_bucket, origin_sub, destination_sub
  FROM silver.trips
 WHERE segment_no = :source AND ingestion_no <> :ingestion_no;

INSERT INTO gold.weekly_origin_cells_segment (origin_cell, week_start, datasource_id, trips, segment_no)
SELECT origin_cell, date_bin('7 days', occurred_at, '2000-01-03')::date, datasource_id, count(*), :segment_no
  FROM silver.trips_segment s
 GROUP BY 1, 2, 3;

INSERT INTO gold.weekly_destination_cells_segment (destination_cell, week_start, datasource_id, trips, segment_no)
SELECT destination_cell, date_bin('7 days', occurred_at, '2000-01-03')::date, datasource_id, count(*), :segment_no
  FROM silver.trips_segment s
 GROUP BY 1, 2, 3;

INSERT INTO gold.weekly_od_cells_segment (origin_cell, destination_cell, week_start, datasource_id, trips, segment_no)
SELECT origin_cell, destination_cell, date_bin('7 days', occurred_at, '2000-01-03')::date, datasource_id, count(*),
       :segment_no
  FROM silver.trips_segment s
 GROUP BY 1, 2, 3, 4;

INSERT INTO gold.trip_group_parts_segment (region_id, origin_cell, destination_cell, tod_bucket, trip_count, first_seen,
                                           last_seen, datasource_ids, segment_no)
SELECT region_id, origin_cell, destination_cell, tod_bucket, count(*), min(occurred_at), max(occurred_at),
       array_agg(DISTINCT datasource_id ORDER BY datasource_id), :segment_no
  FROM silver.trips_segment s
 GROUP BY 1, 2, 3, 4;
