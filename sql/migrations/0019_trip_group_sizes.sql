-- "Largest first" without adding up every group (docs/architecture.md, "Trip groups, largest
-- first"). Each segment's parts get an index in the order of their counts, so query-api reads the
-- largest parts of every segment and stops once no group it has not seen can outrank the page it
-- holds (a threshold top-k; apps/query-api/src/trip-groups/top-groups.ts). Parts of one trip — most
-- parts — are left out of it: a group none of whose parts is listed has at most one trip per segment.
-- Segments built before this migration get the index when they are attached or merged; the ones
-- already attached get it here.
CREATE INDEX trip_group_parts_size_idx ON gold.trip_group_parts
  (trip_count DESC, region_id, origin_cell, destination_cell, tod_bucket) WHERE trip_count > 1;
