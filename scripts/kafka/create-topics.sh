#!/usr/bin/env bash
# Idempotently create Kafka topics (ops-facing; the Node app also creates topics via kafkajs admin).
#
# Usage:
#   scripts/kafka/create-topics.sh NAME:PARTITIONS [NAME:PARTITIONS ...]
#   scripts/kafka/create-topics.sh trips.raw.v1:4 trips.enriched.v1:4
#   scripts/kafka/create-topics.sh --list          # list topics
#
# Env:
#   KAFKA_BROKERS               bootstrap servers (default 127.0.0.1:9092)
#   KAFKA_REPLICATION_FACTOR    default 1
#
# Uses org.apache.kafka.tools.TopicCommand --create --if-not-exists. An existing topic is left
# untouched (its partition count is NOT changed; a warning is printed if it differs).
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

BOOTSTRAP="${KAFKA_BROKERS:-127.0.0.1:9092}"
BOOTSTRAP="${BOOTSTRAP//[[:space:]]/}"
RF="${KAFKA_REPLICATION_FACTOR:-1}"

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
[[ "$1" == "-h" || "$1" == "--help" ]] && usage

kafka_require_java
"$ROOT/scripts/kafka/fetch.sh"

topic_cmd() {
  KAFKA_TOOLS_TIMEOUT="${KAFKA_TOOLS_TIMEOUT:-60}" \
    kafka_tools_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" "$@"
}

if [[ "$1" == "--list" ]]; then
  topic_cmd --list
  exit 0
fi

# validate everything before touching the cluster
for spec in "$@"; do
  [[ "$spec" =~ ^[A-Za-z0-9._-]+:[1-9][0-9]*$ ]] \
    || kafka_die "bad topic spec '$spec' (expected name:partitions, e.g. trips.raw.v1:4)"
done

for spec in "$@"; do
  name="${spec%%:*}"
  partitions="${spec##*:}"
  topic_cmd --create --if-not-exists --topic "$name" \
    --partitions "$partitions" --replication-factor "$RF" >/dev/null \
    || kafka_die "failed to create topic '$name' on $BOOTSTRAP"
  actual="$(topic_cmd --describe --topic "$name" 2>/dev/null \
            | sed -n 's/.*PartitionCount: *\([0-9]\+\).*/\1/p' | head -n1 || true)"
  if [[ -n "$actual" && "$actual" != "$partitions" ]]; then
    kafka_log "WARN: topic $name exists with $actual partitions (requested $partitions); left unchanged"
  else
    kafka_log "topic $name ok (partitions=${actual:-$partitions}, rf=$RF)"
  fi
done
