-- The transformer's marker for an ingestion's `end` work item, written in the same transaction as the
-- completion check it runs. It tells a redelivered `end` (re-publish the completion events if this
-- item may have completed the ingestion) from its first delivery arriving after a chunk already
-- completed the ingestion (publish nothing: that chunk did) — without it, every normal run would
-- publish the completion events twice.
CREATE TABLE meta.silver_end_markers (
  ingestion_no integer PRIMARY KEY REFERENCES meta.ingestions,
  total_chunks integer NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);
