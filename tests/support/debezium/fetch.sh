#!/usr/bin/env bash
# Fetches Debezium's embedded engine and connectors (pom.xml beside this script, every Debezium
# artifact 3.6.1.Final) from Maven Central into
# ${TRIBUTARY_CACHE_DIR:-~/.cache/tributary}/debezium-3.6.1.Final/libs, compiles the peer
# (src/**/*.java) with javac against them into .../classes, and prints the cache folder.
# Idempotent: once libs/ is complete (.complete marker) nothing is fetched, so it works offline;
# the classes are rebuilt only when the sources' hash (classes/.source-sha256) changes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="3.6.1.Final"
cache="${TRIBUTARY_CACHE_DIR:-${HOME}/.cache/tributary}/debezium-${version}"
mkdir -p "$cache"

if [ ! -f "$cache/.complete" ]; then
  command -v mvn >/dev/null || { echo "fetch.sh: mvn not found (scripts/install-deps.sh installs maven)" >&2; exit 1; }
  partial="$cache/libs.partial.$$"
  rm -rf "$partial"
  echo "fetch.sh: fetching Debezium $version from Maven Central into $cache" >&2
  mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$partial" >&2
  ls "$partial"/debezium-embedded-"$version".jar "$partial"/debezium-connector-postgres-"$version".jar >/dev/null
  rm -rf "$cache/libs"
  mv "$partial" "$cache/libs"
  touch "$cache/.complete"
fi

sources=$(cd "$here" && find src -name '*.java' | LC_ALL=C sort)
hash=$(cd "$here" && cat $sources | sha256sum | cut -d' ' -f1)
if [ "$(cat "$cache/classes/.source-sha256" 2>/dev/null)" != "$hash" ]; then
  command -v javac >/dev/null || { echo "fetch.sh: javac not found (scripts/install-deps.sh installs openjdk-17-jdk-headless)" >&2; exit 1; }
  out="$cache/classes.partial.$$"
  rm -rf "$out"
  mkdir -p "$out"
  echo "fetch.sh: compiling the Debezium peer into $cache/classes" >&2
  (cd "$here" && javac -nowarn -encoding UTF-8 -d "$out" -cp "$cache/libs/*" $sources) >&2
  echo "$hash" > "$out/.source-sha256"
  rm -rf "$cache/classes"
  mv "$out" "$cache/classes"
fi
echo "$cache"
