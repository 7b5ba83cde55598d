#!/usr/bin/env bash
# Fetches Debezium's embedded engine and connectors (pom.xml beside this script, every Debezium
# artifact 3.6.1.Final) from Maven Central into
# ${TRIBUTARY_CACHE_DIR:-~/.cache/tributary}/debezium-3.6.1.Final/libs, or with the argument
# `mariadb` the MariaDB classpath (mariadb/pom.xml: Debezium 2.6.2.Final's MySQL connector with its
# MariaDB adapter, see there) into .../debezium-2.6.2.Final-mariadb/libs; compiles the peer
# (src/**/*.java) with javac against them into .../classes, and prints the cache folder.
# Idempotent: once libs/ is complete (.complete marker) nothing is fetched, so it works offline;
# the classes are rebuilt only when the sources' hash (classes/.source-sha256) changes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
case "${1:-}" in
  "") version="3.6.1.Final"; pom="$here/pom.xml"; suffix=""; connector_jar="debezium-connector-postgres-$version.jar" ;;
  mariadb) version="2.6.2.Final"; pom="$here/mariadb/pom.xml"; suffix="-mariadb"; connector_jar="debezium-connector-mysql-$version.jar" ;;
  *) echo "usage: fetch.sh [mariadb]" >&2; exit 2 ;;
esac
cache="${TRIBUTARY_CACHE_DIR:-${HOME}/.cache/tributary}/debezium-${version}${suffix}"
mkdir -p "$cache"

if [ ! -f "$cache/.complete" ]; then
  command -v mvn >/dev/null || { echo "fetch.sh: mvn not found (scripts/install-deps.sh installs maven)" >&2; exit 1; }
  partial="$cache/libs.partial.$$"
  rm -rf "$partial"
  echo "fetch.sh: fetching Debezium $version${suffix:+ ($1)} from Maven Central into $cache" >&2
  mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$partial" >&2
  ls "$partial"/debezium-embedded-"$version".jar "$partial/$connector_jar" >/dev/null
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
