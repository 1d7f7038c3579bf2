-- Bounding-box counts look at single trips only in the cells a box edge cuts, but a hot cell holds
-- tens of thousands of trips, and fetching each from the heap made a street-sized box cost hundreds
-- of ms at 1M rows. These indexes answer those checks by index-only scans (longitude as the second
-- key narrows a cell cut by a vertical edge to the slice inside the box), so they replace the plain
-- cell indexes of 0003, which exist for the same queries only.
CREATE INDEX trips_origin_cell_cover_idx ON silver.trips (origin_cell, origin_lon)
  INCLUDE (origin_lat, occurred_at, datasource_id, destination_lon, destination_lat);
CREATE INDEX trips_destination_cell_cover_idx ON silver.trips (destination_cell, destination_lon)
  INCLUDE (destination_lat, occurred_at, datasource_id, origin_cell);
DROP INDEX silver.trips_origin_cell_idx;
DROP INDEX silver.trips_destination_cell_idx;
