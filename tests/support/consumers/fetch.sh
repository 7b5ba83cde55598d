#!/usr/bin/env bash
# Fetches the consumers' own parsers (Kafka Connect's connect-json 3.9.2, Flink's flink-json and
# what DebeziumJsonDeserializationSchema needs; pom.xml beside this script) from Maven Central into
# ${TRIBUTARY_CACHE_DIR:-~/.cache/tributary}/consumers-<ver>/libs, compiles ConsumerCheck.java
# into .../classes, and prints the Java classpath to run it with:
#   java -cp "$(tests/support/consumers/fetch.sh)" ConsumerCheck < records.jsonl
# Idempotent: once .complete exists nothing is fetched (offline afterwards); a changed
# ConsumerCheck.java is recompiled.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="3.9.2-flink-1.20.4"
cache="${TRIBUTARY_CACHE_DIR:-${HOME}/.cache/tributary}/consumers-${version}"
if [ ! -f "$cache/.complete" ]; then
  command -v mvn >/dev/null || { echo "fetch.sh: mvn not found (scripts/install-deps.sh installs maven)" >&2; exit 1; }
  mkdir -p "$cache"
  partial="$cache/libs.partial"
  rm -rf "$partial"
  echo "fetch.sh: fetching connect-json and flink-json from Maven Central into $cache" >&2
  mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$partial" >&2
  ls "$partial"/connect-json-3.9.2.jar "$partial"/flink-json-1.20.4.jar >/dev/null
  rm -rf "$cache/libs"
  mv "$partial" "$cache/libs"
  touch "$cache/.complete"
fi
classes="$cache/classes"
if [ ! -f "$classes/ConsumerCheck.class" ] || [ "$here/ConsumerCheck.java" -nt "$classes/ConsumerCheck.class" ]; then
  command -v javac >/dev/null || { echo "fetch.sh: javac not found (install openjdk-17-jdk-headless)" >&2; exit 1; }
  rm -rf "$classes.partial"
  mkdir -p "$classes.partial"
  javac -nowarn -d "$classes.partial" -cp "$cache/libs/*" "$here/ConsumerCheck.java" >&2
  rm -rf "$classes"
  mv "$classes.partial" "$classes"
fi
echo "$classes:$cache/libs/*"
