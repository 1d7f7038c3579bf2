-- The extent of each segment's trips: the smallest box holding both ends of every trip it holds.
-- The query-api reads the union over all segments in a box count's snapshot and drops the sides of
-- a box beyond it: a box around a whole city, country or the world then cuts no cell of the data,
-- where it used to scan every cell along its far-away sides (a world box took 7–23 s on 2,000 rows).
-- Segments built before this migration have no extent (NULL): while any is left, and while the
-- legacy partition holds rows, counts do without it. Merges union their sources' extents.
ALTER TABLE meta.segments
  ADD COLUMN min_lon double precision,
  ADD COLUMN min_lat double precision,
  ADD COLUMN max_lon double precision,
  ADD COLUMN max_lat double precision;
