#!/usr/bin/env bash
# Shared helpers for scripts/kafka/*.sh — sourced, not executed.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Provides: ROOT, KAFKA_VERSION, KAFKA_HOME (.cache/kafka), KAFKA_LIBS, KAFKA_CP,
#           kafka_log / kafka_die, kafka_port_open HOST PORT, kafka_tools_java ARGS...

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
KAFKA_HOME="$ROOT/.cache/kafka"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_CP="$KAFKA_LIBS/*"
KAFKA_TOOLS_LOG4J="$KAFKA_HOME/tools-log4j.properties"

kafka_log() { printf '[kafka] %s\n' "$*"; }
kafka_die() { printf '[kafka] ERROR: %s\n' "$*" >&2; exit 1; }

kafka_require_java() {
  command -v java >/dev/null 2>&1 || kafka_die "java not found on PATH (Kafka ${KAFKA_VERSION} needs Java 11+)"
}

# kafka_port_open HOST PORT -> 0 if something accepts TCP connections there.
kafka_port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" >/dev/null 2>&1
}

# log4j config for short-lived CLI JVMs: warnings only, to stderr.
kafka_write_tools_log4j() {
  mkdir -p "$KAFKA_HOME"
  [[ -f "$KAFKA_TOOLS_LOG4J" ]] && return 0
  cat >"$KAFKA_TOOLS_LOG4J" <<'L4J'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
L4J
}

# Run a Kafka CLI main class with a small, fast-starting JVM.
# Set KAFKA_TOOLS_TIMEOUT=<seconds> to bound its runtime (uses coreutils timeout).
kafka_tools_java() {
  kafka_write_tools_log4j
  local -a pre=()
  [[ -n "${KAFKA_TOOLS_TIMEOUT:-}" ]] && pre=(timeout "$KAFKA_TOOLS_TIMEOUT")
  # shellcheck disable=SC2086
  "${pre[@]}" java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_TOOLS_LOG4J" \
    ${KAFKA_TOOLS_JVM_OPTS:-} \
    -cp "$KAFKA_CP" "$@"
}
