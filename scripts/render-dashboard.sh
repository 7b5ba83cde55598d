#!/usr/bin/env bash
# Renders the Grafana dashboard (deploy/grafana/tributary.json) with the data of a real run to
# docs/img/dashboard.png: installs Debian's prometheus and python3-matplotlib if missing, then
# runs scripts/render_dashboard.py (PostgreSQL + Kafka from the test harness, the daemon of
# BUILD_DIR, default ./build). By hand, not in CI. Arguments go to the Python script
# (--rows N, --seconds S, --output FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v prometheus > /dev/null || missing+=(prometheus)
/usr/bin/python3 -c 'import matplotlib' 2> /dev/null || missing+=(python3-matplotlib)
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) == 0 ]] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
tests/support/kafka/fetch.sh > /dev/null
exec /usr/bin/python3 scripts/render_dashboard.py "$@"
