-- Indexes for query-api's read paths (each one costs the transformer a little on every chunk, so
-- only what a query cannot do without).

-- Weekly averages default to the weeks spanned by all data: min/max(week_start) from two index ends.
CREATE INDEX weekly_region_counts_week_idx ON gold.weekly_region_counts (week_start);

-- GET /api/v1/trip-groups lists groups largest first with keyset pagination; without this index
-- every page would sort all groups.
CREATE INDEX trip_groups_size_idx ON gold.trip_groups (trip_count DESC, region_id, origin_cell, destination_cell, tod_bucket);

-- The latest-datasource insight reads each top region's most recent trip.
CREATE INDEX trips_region_occurred_idx ON silver.trips (region_id, occurred_at);
