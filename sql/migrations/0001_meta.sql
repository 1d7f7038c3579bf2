-- Schemas of the three layers plus meta (ingestion state, idempotency markers, event log).
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS bronze;
CREATE SCHEMA IF NOT EXISTS silver;
CREATE SCHEMA IF NOT EXISTS gold;

-- Settings fixed for the life of a database (grid cell size, time bucket): changing them would
-- silently make old and new gold rows incomparable, so services refuse to start on a mismatch.
CREATE TABLE meta.settings (
  key   text PRIMARY KEY,
  value text NOT NULL
);

-- One row per upload: the truth about its state. Counters are updated in the same transaction as
-- the work they count, so they never drift from the data.
CREATE TABLE meta.ingestions (
  ingestion_no        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ingestion_id        uuid NOT NULL UNIQUE,
  state               text NOT NULL DEFAULT 'accepted'
                      CHECK (state IN ('accepted', 'uploading', 'processing', 'completed', 'failed')),
  file_name           text,
  content_type        text,
  gzip                boolean NOT NULL DEFAULT false,
  columns             text[] NOT NULL,
  ignored_columns     text[] NOT NULL DEFAULT '{}',
  -- upload (gateway)
  upload_bytes        bigint NOT NULL DEFAULT 0,
  upload_rows         bigint NOT NULL DEFAULT 0,
  upload_chunks       integer NOT NULL DEFAULT 0,
  upload_sha256       text,
  total_chunks        integer,          -- known once the upload is complete
  total_rows          bigint,
  -- bronze (bronze-loader)
  bronze_chunks       integer NOT NULL DEFAULT 0,
  bronze_rows         bigint NOT NULL DEFAULT 0,
  -- silver + gold (transformer)
  silver_chunks       integer NOT NULL DEFAULT 0,
  silver_rows         bigint NOT NULL DEFAULT 0,
  rejected_rows       bigint NOT NULL DEFAULT 0,
  -- timings
  accepted_at         timestamptz NOT NULL DEFAULT now(),
  upload_completed_at timestamptz,
  bronze_completed_at timestamptz,
  silver_completed_at timestamptz,
  gold_completed_at   timestamptz,
  completed_at        timestamptz,
  failed_at           timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  -- failure
  error_stage         text,
  error_code          text,
  error_message       text
);
CREATE INDEX ingestions_accepted_at_idx ON meta.ingestions (accepted_at DESC, ingestion_no DESC);

-- Idempotency markers: a chunk is loaded / transformed at most once because its marker is inserted
-- in the same transaction as its rows.
CREATE TABLE meta.bronze_chunks (
  ingestion_no integer NOT NULL REFERENCES meta.ingestions,
  seq          integer NOT NULL,
  first_line   bigint NOT NULL,
  last_line    bigint NOT NULL,
  rows         integer NOT NULL,
  loaded_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ingestion_no, seq)
);

CREATE TABLE meta.silver_chunks (
  ingestion_no  integer NOT NULL REFERENCES meta.ingestions,
  seq           integer NOT NULL,
  valid_rows    integer NOT NULL,
  rejected_rows integer NOT NULL,
  done_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ingestion_no, seq)
);

-- The notifier's event store: each public event once (event_id), numbered per ingestion.
CREATE TABLE meta.events (
  global_seq   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ingestion_id uuid NOT NULL,
  seq          integer NOT NULL,
  event_id     text NOT NULL UNIQUE,
  type         text NOT NULL,
  layer        text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  data         jsonb NOT NULL,
  stored_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (ingestion_id, seq)
);
