#!/usr/bin/env bash
# Installs everything tributary needs to build, test and run the demo on Debian 12.
# The Dockerfile runs the same package list: keep them equal.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

BUILD_PACKAGES=(
  build-essential cmake pkg-config
  librdkafka-dev libpq-dev libyaml-cpp-dev rapidjson-dev prometheus-cpp-dev libboost-dev
  libssl-dev                   # libcrypto: columns.mask_hash digests
  default-libmysqlclient-dev   # MariaDB Connector/C 3.3 (libmariadb-dev): MySQL/MariaDB source
  catch2
)
TEST_PACKAGES=(
  postgresql postgresql-15-wal2json postgresql-client
  mariadb-server mariadb-client   # MariaDB 10.11: the tests start throwaway servers
  python3 python3-confluent-kafka python3-psycopg2 python3-pymysql python3-pytest
  kcat curl
  python3-yaml openssl            # deployment-file tests; the TLS tests' throwaway CA
  systemd debootstrap iproute2    # systemd-analyze of the unit; scripts/check-image.sh's Debian root
  openjdk-17-jre-headless maven
  openjdk-17-jdk-headless         # javac: tests/support/debezium/fetch.sh compiles the Debezium peer
  clang-14 libclang-rt-14-dev llvm-14   # fuzz test: clang, libFuzzer + sanitizer runtimes, llvm-symbolizer
)

wanted=("${BUILD_PACKAGES[@]}")
if [ "${1:-}" != "--build-only" ]; then wanted+=("${TEST_PACKAGES[@]}"); fi

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
