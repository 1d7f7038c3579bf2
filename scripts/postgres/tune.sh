#!/usr/bin/env bash
# Opt-in tuning of the local PostgreSQL cluster for bulk ingestion (docs/benchmarks.md, "PostgreSQL
# settings"). PostgreSQL's defaults checkpoint after every 1 GB of WAL: a large upload then
# checkpoints every few seconds, and after each checkpoint every page touched again is written to
# the WAL whole. 128 MB of shared_buffers also holds a small part of the indexes the transformer
# maintains. wal_compression=lz4 compresses the full-page images the WAL still carries after each
# checkpoint. Writes the settings with ALTER SYSTEM (postgresql.auto.conf) and reloads; shared_buffers
# needs a restart, which --restart does with pg_ctlcluster (Debian/Ubuntu).
#
#   bash scripts/postgres/tune.sh [--restart]        (npm run pg:tune -- --restart)
#   DATABASE_URL=postgres://… bash scripts/postgres/tune.sh
#
# Undo: psql -c "ALTER SYSTEM RESET ALL" and restart.
set -euo pipefail
url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

# A quarter of the RAM for shared_buffers, between 128 MB and 8 GB.
mem_mb=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
buffers_mb=$(( mem_mb / 4 ))
(( buffers_mb < 128 )) && buffers_mb=128
(( buffers_mb > 8192 )) && buffers_mb=8192

psql "$url" -v ON_ERROR_STOP=1 -q <<SQL
ALTER SYSTEM SET shared_buffers = '${buffers_mb}MB';
ALTER SYSTEM SET max_wal_size = '8GB';
ALTER SYSTEM SET checkpoint_timeout = '15min';
ALTER SYSTEM SET wal_compression = 'lz4';
SELECT pg_reload_conf();
SQL
echo "[pg:tune] shared_buffers=${buffers_mb}MB (after a restart), max_wal_size=8GB, checkpoint_timeout=15min, wal_compression=lz4"

if [[ "${1:-}" == "--restart" ]]; then
  version="$(ls /etc/postgresql | sort -n | tail -1)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main restart
  for _ in $(seq 1 30); do pg_isready -d "$url" -q && break; sleep 1; done
  echo "[pg:tune] restarted PostgreSQL $version"
fi
psql "$url" -Atc "SELECT name || '=' || current_setting(name) FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_compression') ORDER BY name" | sed 's/^/[pg:tune] now: /'
