-- FROZEN copy of sql/transform/chunk.sql (commit 3772b28): the oracle of test/oracle/parser-parity.int-spec.ts.
-- Transforms one bronze chunk into silver in a single statement (data-modifying CTEs); gold follows
-- in batches (gold.sql).
-- Parameters: $1 ingestion_no, $2 first_line, $3 last_line, $4 GRID_CELL_DEGREES, $5 TIME_BUCKET_MINUTES.
-- Returns one row: total_rows (bronze rows of the chunk), valid_rows, rejected_rows.
--
-- Bad data must never raise: an SQL error would abort the chunk's transaction. So every cast sits
-- behind a check (a regular expression, a length bound, calendar arithmetic) that guarantees it
-- succeeds, and the reason of a rejected row is the FIRST failing check in the order of
-- REJECT_REASONS (libs/contracts/src/csv-schema.ts).
--
-- The two inner subqueries end in OFFSET 0 so the planner does not flatten them: flattening would
-- copy each regular-expression test into every expression that uses its result, evaluating it
-- several times per row.
WITH checked AS (
  SELECT
    t.line_no, t.region_key, t.datasource_name,
    t.origin_lon, t.origin_lat, t.destination_lon, t.destination_lat,
    t.yy, t.mo, t.dd, t.hh, t.mi, t.ss,
    CASE
      WHEN t.early_reason IS NOT NULL THEN t.early_reason
      WHEN coalesce(t.region_key, '') = '' THEN 'missing_region'
      WHEN coalesce(t.datasource_name, '') = '' THEN 'missing_datasource'
      -- added with MAX_NAME_CHARS (200): names are unique btree keys
      WHEN char_length(t.region_key) > 200 THEN 'region_too_long'
      WHEN char_length(t.datasource_name) > 200 THEN 'datasource_too_long'
      WHEN t.o IS NULL THEN 'bad_origin'
      WHEN t.d IS NULL THEN 'bad_destination'
      WHEN NOT (t.origin_lon BETWEEN -180 AND 180 AND t.origin_lat BETWEEN -90 AND 90) THEN 'origin_out_of_range'
      WHEN NOT (t.destination_lon BETWEEN -180 AND 180 AND t.destination_lat BETWEEN -90 AND 90) THEN 'destination_out_of_range'
      WHEN t.dt IS NULL THEN 'bad_datetime'
      WHEN NOT (
        t.yy >= 1 AND t.mo BETWEEN 1 AND 12 AND t.hh <= 23 AND t.mi <= 59 AND t.ss <= 59
        AND t.dd BETWEEN 1 AND CASE
          WHEN t.mo = 2 THEN CASE WHEN t.yy % 4 = 0 AND (t.yy % 100 <> 0 OR t.yy % 400 = 0) THEN 29 ELSE 28 END
          -- 31 days in months 1 3 5 7 8 10 12, 30 in the others
          ELSE 30 + (t.mo + t.mo / 8) % 2
        END
      ) THEN 'invalid_datetime'
    END AS reason
  FROM (
    SELECT
      p.*,
      CASE WHEN p.o IS NOT NULL THEN split_part(p.o, ' ', 1)::float8 END AS origin_lon,
      CASE WHEN p.o IS NOT NULL THEN split_part(p.o, ' ', -1)::float8 END AS origin_lat,
      CASE WHEN p.d IS NOT NULL THEN split_part(p.d, ' ', 1)::float8 END AS destination_lon,
      CASE WHEN p.d IS NOT NULL THEN split_part(p.d, ' ', -1)::float8 END AS destination_lat,
      CASE WHEN p.dt IS NOT NULL THEN split_part(p.dt, '-', 1)::int END AS yy,
      CASE WHEN p.dt IS NOT NULL THEN split_part(p.dt, '-', 2)::int END AS mo,
      CASE WHEN p.dt IS NOT NULL THEN split_part(split_part(p.dt, ' ', 1), '-', 3)::int END AS dd,
      CASE WHEN p.dt IS NOT NULL THEN split_part(split_part(p.dt, ' ', 2), ':', 1)::int END AS hh,
      CASE WHEN p.dt IS NOT NULL THEN split_part(p.dt, ':', 2)::int END AS mi,
      CASE WHEN p.dt IS NOT NULL THEN split_part(p.dt, ':', 3)::int END AS ss
    FROM (
      SELECT
        b.line_no,
        CASE
          -- bronze keeps a record whose field count differs from the header whole, in raw_record.
          WHEN b.raw_record IS NOT NULL THEN
            CASE WHEN strpos(b.raw_record, U&'\FFFD') > 0 THEN 'invalid_encoding' ELSE 'field_count' END
          -- A UTF-8 decoder substitutes U+FFFD for bytes that are not valid UTF-8.
          WHEN strpos(concat(b.region, b.origin_coord, b.destination_coord, b.datetime, b.datasource), U&'\FFFD') > 0
            THEN 'invalid_encoding'
        END AS early_reason,
        lower(btrim(b.region)) AS region_key,
        btrim(b.datasource) AS datasource_name,
        -- "<lon> <lat>" when the value is a WKT point. At most 100 bytes and a 2-digit exponent keep
        -- every number far inside float8 range, so the casts above cannot overflow or underflow.
        -- split_part and octet_length work on bytes: the character-counting text functions (length,
        -- substr, strpos) cost more in a UTF-8 database.
        CASE WHEN octet_length(b.origin_coord) <= 100
              AND b.origin_coord ~* '^[ \t]*point[ \t]*\([ \t]*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[-+]?[0-9][0-9]?)?[ \t]+[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[-+]?[0-9][0-9]?)?[ \t]*\)[ \t]*$'
          THEN btrim(replace(split_part(split_part(b.origin_coord, '(', 2), ')', 1), E'\t', ' '))
        END AS o,
        CASE WHEN octet_length(b.destination_coord) <= 100
              AND b.destination_coord ~* '^[ \t]*point[ \t]*\([ \t]*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[-+]?[0-9][0-9]?)?[ \t]+[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[-+]?[0-9][0-9]?)?[ \t]*\)[ \t]*$'
          THEN btrim(replace(split_part(split_part(b.destination_coord, '(', 2), ')', 1), E'\t', ' '))
        END AS d,
        -- "YYYY-MM-DD H:MM:SS" ('T' accepted between date and time); the calendar is checked
        -- arithmetically above.
        CASE WHEN b.datetime ~ '^[ \t]*[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]?:[0-9][0-9]:[0-9][0-9][ \t]*$'
          THEN replace(btrim(b.datetime, E' \t'), 'T', ' ')
        END AS dt
      FROM bronze.trips b
      WHERE b.ingestion_no = $1 AND b.line_no BETWEEN $2 AND $3
      OFFSET 0
    ) p
    OFFSET 0
  ) t
),
valid AS (
  SELECT
    c.line_no, r.region_id, s.datasource_id,
    c.origin_lon, c.origin_lat, c.destination_lon, c.destination_lat,
    make_timestamp(c.yy, c.mo, c.dd, c.hh, c.mi, c.ss) AS occurred_at,
    (floor(c.origin_lat / $4::float8)::bigint + 2097152) * 4194304 + (floor(c.origin_lon / $4::float8)::bigint + 2097152) AS origin_cell,
    (floor(c.destination_lat / $4::float8)::bigint + 2097152) * 4194304 + (floor(c.destination_lon / $4::float8)::bigint + 2097152) AS destination_cell,
    -- The cell's row of latitude (0..9, south to north) the point lies in (migration 0012).
    least(9, greatest(0, floor((c.origin_lat / $4::float8 - floor(c.origin_lat / $4::float8)) * 10)))::smallint AS origin_sub,
    least(9, greatest(0, floor((c.destination_lat / $4::float8 - floor(c.destination_lat / $4::float8)) * 10)))::smallint AS destination_sub,
    ((c.hh * 3600 + c.mi * 60 + c.ss) / ($5::int * 60))::smallint AS tod_bucket
  FROM checked c
  JOIN silver.regions r ON r.name_key = c.region_key
  JOIN silver.datasources s ON s.name = c.datasource_name
  WHERE c.reason IS NULL
),
inserted AS (
  INSERT INTO silver.trips (ingestion_no, line_no, region_id, datasource_id, origin_lon, origin_lat,
                            destination_lon, destination_lat, occurred_at, origin_cell, destination_cell, tod_bucket,
                            origin_sub, destination_sub)
  SELECT $1, line_no, region_id, datasource_id, origin_lon, origin_lat,
         destination_lon, destination_lat, occurred_at, origin_cell, destination_cell, tod_bucket,
         origin_sub, destination_sub
  FROM valid
  RETURNING 1
),
-- Rejects are rare: their raw values are read back from bronze rather than carried through checked.
rejected AS (
  INSERT INTO silver.rejects (ingestion_no, line_no, reason, region, origin_coord, destination_coord, datetime, datasource, raw_record)
  SELECT $1, b.line_no, c.reason, b.region, b.origin_coord, b.destination_coord, b.datetime, b.datasource, b.raw_record
  FROM checked c
  JOIN bronze.trips b ON b.ingestion_no = $1 AND b.line_no = c.line_no
  WHERE c.reason IS NOT NULL
  RETURNING 1
)
SELECT
  (SELECT count(*) FROM checked) AS total_rows,
  (SELECT count(*) FROM inserted) AS valid_rows,
  (SELECT count(*) FROM rejected) AS rejected_rows
