#!/usr/bin/env bash
# The README's test command: install what is needed, build, run every test (ctest labels:
# unit, kafka, integration, crash). Extra arguments go to ctest (e.g. -L unit).
# Tests run TRIBUTARY_TEST_JOBS (default 2) at a time; those labelled `exclusive` run alone
# (tests/integration/CMakeLists.txt says which and why).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
tests/support/kafka/fetch.sh >/dev/null   # Apache Kafka's jars from Maven Central (cached)
tests/support/debezium/fetch.sh >/dev/null   # Debezium 3.6.1.Final's embedded engine (cached), the peer compiled
tests/support/debezium/fetch.sh mariadb >/dev/null   # the MariaDB peer: Debezium 2.6.2.Final MySQL connector with connector.adapter=mariadb (cached)
tests/support/consumers/fetch.sh >/dev/null   # the consumers' parsers: Kafka Connect JsonConverter 3.9.2, Flink debezium-json 1.20.4 (cached)
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1200 -j"${TRIBUTARY_TEST_JOBS:-2}" "$@"
