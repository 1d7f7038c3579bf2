-- Bronze: every uploaded record, text exactly as uploaded, with lineage (ingestion + source line).
-- A record whose field count does not match the header is kept whole in raw_record (columns NULL):
-- nothing is dropped, and silver rejects it with a reason.
CREATE TABLE bronze.trips (
  ingestion_no      integer NOT NULL,
  line_no           bigint  NOT NULL,
  region            text,
  origin_coord      text,
  destination_coord text,
  datetime          text,
  datasource        text,
  raw_record        text,
  PRIMARY KEY (ingestion_no, line_no)
);
