-- Builds one segment's partitions of the gold tables partitioned by segment (migration 0014) from its silver rows,
-- in the transaction that builds the segment. The transformer substitutes `silver.segment` (the
-- segment's silver table), `_segment` (suffix of the new partitions' names) and `:segment_no`; it has
-- created the partitions (empty, not yet attached) and builds their indexes afterwards, once.
-- Week: the Monday of the ISO week of the trip's local date. date_bin on 7-day bins from a Monday
-- (2000-01-03) gives the same dates as date_trunc('week', …) for every timestamp, at about two thirds
-- of its cost.
INSERT INTO gold.weekly_origin_cells_segment (origin_cell, week_start, datasource_id, trips, segment_no)
SELECT origin_cell, date_bin('7 days', occurred_at, '2000-01-03')::date, datasource_id, count(*), :segment_no
  FROM silver.segment
 GROUP BY 1, 2, 3;

INSERT INTO gold.weekly_destination_cells_segment (destination_cell, week_start, datasource_id, trips, segment_no)
SELECT destination_cell, date_bin('7 days', occurred_at, '2000-01-03')::date, datasource_id, count(*), :segment_no
  FROM silver.segment
 GROUP BY 1, 2, 3;

INSERT INTO gold.weekly_od_cells_segment (origin_cell, destination_cell, week_start, datasource_id, trips, segment_no)
SELECT origin_cell, destination_cell, date_bin('7 days', occurred_at, '2000-01-03')::date, datasource_id, count(*), :segment_no
  FROM silver.segment
 GROUP BY 1, 2, 3, 4;

-- Similar trips: same region, origin cell, destination cell and time-of-day bucket.
INSERT INTO gold.trip_group_parts_segment (region_id, origin_cell, destination_cell, tod_bucket, trip_count, first_seen,
                                           last_seen, datasource_ids, segment_no)
SELECT region_id, origin_cell, destination_cell, tod_bucket, count(*), min(occurred_at), max(occurred_at),
       -- Most groups of a segment have one datasource: array_agg(DISTINCT … ORDER BY …) would sort
       -- every group's input, and costs a quarter more.
       CASE WHEN min(datasource_id) = max(datasource_id) THEN ARRAY[min(datasource_id)]
            ELSE gold.union_ids('{}', array_agg(datasource_id)) END,
       :segment_no
  FROM silver.segment
 GROUP BY 1, 2, 3, 4;
