-- Gold is folded from silver in batches rather than in every chunk's transaction (see
-- sql/transform/README.md, "Gold"): the transformer marks a chunk's silver rows as folded into gold
-- on its marker, and folds every pending chunk of an ingestion at once when enough rows are pending
-- or silver is complete. Chunks transformed before this migration had their gold upserted inline.
ALTER TABLE meta.silver_chunks
  ADD COLUMN first_line bigint,
  ADD COLUMN last_line  bigint,
  ADD COLUMN gold_done  boolean NOT NULL DEFAULT true;
ALTER TABLE meta.silver_chunks ALTER COLUMN gold_done SET DEFAULT false;
-- The pending chunks of an ingestion (few at any time).
CREATE INDEX silver_chunks_pending_idx ON meta.silver_chunks (ingestion_no, seq) WHERE NOT gold_done;

-- Silver rows folded into gold so far.
ALTER TABLE meta.ingestions ADD COLUMN gold_rows bigint NOT NULL DEFAULT 0;
UPDATE meta.ingestions SET gold_rows = silver_rows;

-- The region and datasource ids of silver.trips come from a join with the dictionaries in
-- chunk.sql, so they are valid by construction; the foreign-key checks cost ~10 % of a chunk.
ALTER TABLE silver.trips DROP CONSTRAINT trips_region_id_fkey;
ALTER TABLE silver.trips DROP CONSTRAINT trips_datasource_id_fkey;

-- Area queries skip the silver trips of chunks not yet folded into gold, so an answer never mixes
-- gold and silver of different moments; the covering indexes carry the lineage for that check.
DROP INDEX silver.trips_origin_cell_cover_idx;
DROP INDEX silver.trips_destination_cell_cover_idx;
CREATE INDEX trips_origin_cell_cover_idx ON silver.trips (origin_cell, origin_lon)
  INCLUDE (origin_lat, occurred_at, datasource_id, destination_lon, destination_lat, ingestion_no, line_no);
CREATE INDEX trips_destination_cell_cover_idx ON silver.trips (destination_cell, destination_lon)
  INCLUDE (destination_lat, occurred_at, datasource_id, origin_cell, ingestion_no, line_no);

-- One index instead of two on the largest gold table: the primary key carries the count itself
-- (the covering index of 0009 duplicated the key).
DROP INDEX gold.weekly_od_cells_cover_idx;
ALTER TABLE gold.weekly_od_cells DROP CONSTRAINT weekly_od_cells_pkey;
ALTER TABLE gold.weekly_od_cells ADD PRIMARY KEY (origin_cell, destination_cell, week_start, datasource_id) INCLUDE (trips);
