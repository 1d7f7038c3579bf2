#!/usr/bin/env bash
# Fetch the Apache Kafka broker + CLI jars from Maven Central into .cache/kafka/libs.
#
# Usage:
#   scripts/kafka/fetch.sh                 # Kafka 3.9.1
#   KAFKA_VERSION=3.9.2 scripts/kafka/fetch.sh
#   KAFKA_FETCH_FORCE=1 scripts/kafka/fetch.sh   # re-resolve even if already fetched
#
# Idempotent: once .cache/kafka/libs/.version matches KAFKA_VERSION, mvn is not run at all.
# A different KAFKA_VERSION replaces the whole libs dir. Needs java + mvn (3.6+).
set -euo pipefail
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

STAMP="$KAFKA_LIBS/.version"

if [[ "${KAFKA_FETCH_FORCE:-0}" != "1" && -f "$STAMP" && "$(cat "$STAMP")" == "$KAFKA_VERSION" ]]; then
  exit 0
fi

command -v mvn >/dev/null 2>&1 || kafka_die "mvn not found on PATH (apt-get install maven)"
kafka_require_java

mkdir -p "$KAFKA_HOME"
TMP_LIBS="$KAFKA_HOME/libs.tmp.$$"
MVN_LOG="$KAFKA_HOME/fetch-mvn.log"
rm -rf "$TMP_LIBS"
trap 'rm -rf "$TMP_LIBS"' EXIT

kafka_log "fetching Kafka ${KAFKA_VERSION} jars from Maven Central (first run can take a few minutes)..."
start_s=$SECONDS
if ! mvn -q -B -Dstyle.color=never -f "$ROOT/scripts/kafka/pom.xml" \
      -Dkafka.version="$KAFKA_VERSION" \
      -Dkafka.libs.dir="$TMP_LIBS" \
      generate-resources >"$MVN_LOG" 2>&1; then
  echo "---- last 40 lines of $MVN_LOG ----" >&2
  tail -n 40 "$MVN_LOG" | sed $'s/\x1b\[[0-9;]*m//g' >&2 || true
  kafka_die "mvn failed to resolve org.apache.kafka:kafka_2.13:${KAFKA_VERSION} (full log: $MVN_LOG)"
fi

ls "$TMP_LIBS"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1 \
  || kafka_die "mvn succeeded but kafka_2.13-${KAFKA_VERSION}.jar is missing in $TMP_LIBS"

echo "$KAFKA_VERSION" >"$TMP_LIBS/.version"
rm -rf "$KAFKA_LIBS"
mv "$TMP_LIBS" "$KAFKA_LIBS"
trap - EXIT
kafka_log "fetched $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars into ${KAFKA_LIBS#"$ROOT"/} in $((SECONDS - start_s))s"
