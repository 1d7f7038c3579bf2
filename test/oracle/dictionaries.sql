-- FROZEN copy of sql/transform/dictionaries.sql (commit 3772b28): the oracle of test/oracle/parser-parity.int-spec.ts.
-- Adds the regions and datasources of one bronze chunk that the dictionaries do not hold yet.
-- Parameters: $1 ingestion_no, $2 first_line, $3 last_line. Runs before chunk.sql, as its own
-- statement, so that chunk.sql's snapshot sees ids committed by a concurrent transformer.
--
-- Only names missing from the dictionary reach INSERT: ON CONFLICT DO NOTHING still draws an id from
-- the smallint identity for every proposed row, and re-proposing known names on every chunk would
-- exhaust it. Rows go in key order so two transformers adding the same names cannot deadlock.
-- Records that fail the first checks (field count, encoding, empty or too long region or datasource) add nothing.
WITH src AS (
  SELECT b.line_no, btrim(b.region) AS region_name, btrim(b.datasource) AS datasource_name
  FROM bronze.trips b
  WHERE b.ingestion_no = $1 AND b.line_no BETWEEN $2 AND $3
    AND b.raw_record IS NULL
    AND btrim(b.region) <> '' AND btrim(b.datasource) <> ''
    -- added with MAX_NAME_CHARS (200)
    AND char_length(btrim(b.region)) <= 200 AND char_length(btrim(b.datasource)) <= 200
    AND strpos(concat(b.region, b.origin_coord, b.destination_coord, b.datetime, b.datasource), U&'\FFFD') = 0
),
new_regions AS (
  INSERT INTO silver.regions (name, name_key)
  SELECT n.region_name, n.name_key
  FROM (
    -- The spelling of a region is the first one seen (lowest line of the chunk).
    SELECT DISTINCT ON (lower(region_name)) region_name, lower(region_name) AS name_key
    FROM src
    ORDER BY lower(region_name), line_no
  ) n
  WHERE NOT EXISTS (SELECT 1 FROM silver.regions r WHERE r.name_key = n.name_key)
  ORDER BY n.name_key
  ON CONFLICT (name_key) DO NOTHING
  RETURNING region_id
),
new_datasources AS (
  INSERT INTO silver.datasources (name)
  SELECT n.datasource_name
  FROM (SELECT DISTINCT datasource_name FROM src) n
  WHERE NOT EXISTS (SELECT 1 FROM silver.datasources s WHERE s.name = n.datasource_name)
  ORDER BY n.datasource_name
  ON CONFLICT (name) DO NOTHING
  RETURNING datasource_id
)
SELECT (SELECT count(*) FROM new_regions) AS new_regions, (SELECT count(*) FROM new_datasources) AS new_datasources
