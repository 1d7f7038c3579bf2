#!/usr/bin/env bash
# Stop the local Kafka broker started by scripts/kafka/start.sh.
#
# Usage:
#   scripts/kafka/stop.sh
#
# SIGTERM (controlled shutdown), wait up to KAFKA_STOP_TIMEOUT seconds (default 30), then SIGKILL.
# Idempotent: exits 0 if nothing is running. Data in .cache/kafka/data is kept
# (rm -rf .cache/kafka/data .cache/kafka/cluster-id for a clean slate).
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PIDFILE="$KAFKA_HOME/kafka.pid"
CONF="$KAFKA_HOME/server.properties"
TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

is_our_broker() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'
}

pid=""
[[ -f "$PIDFILE" ]] && pid="$(cat "$PIDFILE" 2>/dev/null || true)"
if ! is_our_broker "$pid"; then
  # pid file missing/stale: fall back to a broker running with *our* generated config file.
  pid="$(pgrep -f "kafka\.Kafka $CONF\$" | head -n1 || true)"
fi

if ! is_our_broker "$pid"; then
  rm -f "$PIDFILE"
  kafka_log "not running"
  exit 0
fi

kafka_log "stopping broker (pid $pid)..."
kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + TIMEOUT))
while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done

if kill -0 "$pid" 2>/dev/null; then
  kafka_log "still alive after ${TIMEOUT}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
fi
rm -f "$PIDFILE"
kafka_log "stopped"
