/** The columns every upload must have (any order; extra columns are ignored and reported). */
export const REQUIRED_COLUMNS = ['region', 'origin_coord', 'destination_coord', 'datetime', 'datasource'] as const;
export type RequiredColumn = (typeof REQUIRED_COLUMNS)[number];

/**
 * Longest region or datasource name, in characters after trimming spaces. Names are dictionary keys
 * (unique btree indexes, whose entries must stay under ~2.7 KB): a longer one would fail the
 * segment's transaction, and with it every row of the ingestion, instead of one row.
 */
export const MAX_NAME_CHARS = 200;

/** Reason codes of rows rejected on the way to silver (silver.rejects.reason). */
export const REJECT_REASONS = {
  field_count: 'the record does not have the same number of fields as the header',
  invalid_encoding: 'the record is not valid UTF-8 or contains a NUL byte',
  missing_region: 'region is empty',
  missing_datasource: 'datasource is empty',
  region_too_long: `region is longer than ${MAX_NAME_CHARS} characters`,
  datasource_too_long: `datasource is longer than ${MAX_NAME_CHARS} characters`,
  bad_origin: 'origin_coord is not a WKT POINT (lon lat)',
  bad_destination: 'destination_coord is not a WKT POINT (lon lat)',
  origin_out_of_range: 'origin longitude outside ±180 or latitude outside ±90',
  destination_out_of_range: 'destination longitude outside ±180 or latitude outside ±90',
  bad_datetime: 'datetime is not YYYY-MM-DD HH:MM:SS',
  invalid_datetime: 'datetime is not a real calendar time (e.g. 2018-02-30)',
} as const;
export type RejectReason = keyof typeof REJECT_REASONS;
