#!/usr/bin/env bash
# Fetches Apache Kafka's broker classpath from Maven Central (pom.xml beside this script) into
# ${TRIBUTARY_CACHE_DIR:-~/.cache/tributary}/kafka-<version>/libs and prints that folder.
# Idempotent: once the folder is complete (its .complete marker exists) nothing is fetched, so it
# works offline. Version: $1, else TRIBUTARY_KAFKA_VERSION, else the default below.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-${TRIBUTARY_KAFKA_VERSION:-3.9.2}}"
case "$version" in
  3.9.2|4.4.0) ;;
  *) echo "fetch.sh: Kafka $version is not pinned in $here/pom.xml (pinned: 3.9.2, 4.4.0)" >&2; exit 2 ;;
esac
cache="${TRIBUTARY_CACHE_DIR:-${HOME}/.cache/tributary}/kafka-${version}"
if [ -f "$cache/.complete" ]; then
  echo "$cache/libs"
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch.sh: mvn not found (scripts/install-deps.sh installs maven)" >&2; exit 1; }
mkdir -p "$cache"
partial="$cache/libs.partial"
rm -rf "$partial"
echo "fetch.sh: fetching Apache Kafka $version from Maven Central into $cache" >&2
mvn -B -q -f "$here/pom.xml" -Dkafka.version="$version" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$partial" >&2
ls "$partial"/kafka_2.13-"$version".jar >/dev/null
rm -rf "$cache/libs"
mv "$partial" "$cache/libs"
touch "$cache/.complete"
echo "$cache/libs"
