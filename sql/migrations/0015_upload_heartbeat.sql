-- An upload in flight is kept alive by its gateway: every UPLOAD_STALE_MS / 3 the gateway streaming it
-- stamps upload_heartbeat_at. Any gateway instance fails an ingestion still `uploading` whose stamp
-- is older than UPLOAD_STALE_MS (its gateway died mid-upload: a crash, SIGKILL, a lost machine) with
-- error_code `upload_interrupted`, so nothing waits forever for an end that will never come.
ALTER TABLE meta.ingestions ADD COLUMN upload_heartbeat_at timestamptz;
UPDATE meta.ingestions SET upload_heartbeat_at = updated_at WHERE state = 'uploading';
CREATE INDEX ingestions_uploading_idx ON meta.ingestions (upload_heartbeat_at) WHERE state = 'uploading';
