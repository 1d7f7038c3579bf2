-- Sub-rows: each cell is cut into 10 rows of latitude (origin_sub / destination_sub, 0 = south),
-- and the covering cell indexes are keyed (cell, sub-row, longitude). A bounding-box count then
-- scans, in each cell its edge cuts, only the sub-rows and the longitude slice the box overlaps (or,
-- for a cell the box mostly covers, the part outside it, subtracted from the cell's gold count)
-- instead of every trip of the cell: at 10M trips a city-sized box's edge cells hold ~600k trips.
-- sub = floor((lat / GRID_CELL_DEGREES - floor(lat / GRID_CELL_DEGREES)) * 10), clamped to 0..9
-- (sql/transform/chunk.sql computes it with the cell).
DROP INDEX silver.trips_origin_cell_cover_idx;
DROP INDEX silver.trips_destination_cell_cover_idx;
ALTER TABLE silver.trips ADD COLUMN origin_sub smallint, ADD COLUMN destination_sub smallint;

UPDATE silver.trips t
   SET origin_sub = least(9, greatest(0, floor((t.origin_lat / g.v - floor(t.origin_lat / g.v)) * 10)))::smallint,
       destination_sub = least(9, greatest(0, floor((t.destination_lat / g.v - floor(t.destination_lat / g.v)) * 10)))::smallint
  FROM (SELECT value::float8 AS v FROM meta.settings WHERE key = 'grid_cell_degrees') AS g;

ALTER TABLE silver.trips ALTER COLUMN origin_sub SET NOT NULL, ALTER COLUMN destination_sub SET NOT NULL;

CREATE INDEX trips_origin_cell_cover_idx ON silver.trips (origin_cell, origin_sub, origin_lon)
  INCLUDE (origin_lat, occurred_at, datasource_id, destination_lon, destination_lat, ingestion_no, line_no);
CREATE INDEX trips_destination_cell_cover_idx ON silver.trips (destination_cell, destination_sub, destination_lon)
  INCLUDE (destination_lat, occurred_at, datasource_id, origin_cell, ingestion_no, line_no);
