#!/usr/bin/env bash
# kill -9 soak: tests/integration/test_crash.py with many iterations against a real Apache Kafka
# (one KRaft node; TRIBUTARY_KAFKA_VERSION picks the version), then one summary line:
#   soak: iterations=N seed=S events_verified=E lost=L duplicated=D result=PASS|FAIL ... kafka=V ...
#   ... stale_snapshot_keys=K snapshots_resumed=R snapshot_rows_read_twice=T (a kill during the
#   PostgreSQL snapshot resumes it after its last committed chunk: T counts rows read again)
#
# Usage: scripts/soak.sh [--iterations N] [--seed S] [--rows R] [--build-dir DIR] [--keep-log FILE]
# Defaults: 200 iterations, a random seed, 20000 preloaded rows, build dir $BUILD_DIR or ./build
# (else the newest ./build*/tributary). Needs the `tributary` target built, PostgreSQL 15, a JDK,
# the Debian python3 packages (see scripts/install-deps.sh) and Kafka's jars (fetched into
# ~/.cache/tributary by tests/support/kafka/fetch.sh, offline once cached).
# The exit status is pytest's (0 when every check passed).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

iterations=200
seed=""
rows=""
build_dir="${BUILD_DIR:-}"
keep_log=""
while [ $# -gt 0 ]; do
  case "$1" in
    --iterations) iterations="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --keep-log) keep_log="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$seed" ]; then seed=$(( (RANDOM << 15 | RANDOM) + 1 )); fi

if [ -z "${TRIBUTARY_BIN:-}" ]; then
  if [ -n "$build_dir" ]; then
    TRIBUTARY_BIN="$build_dir/tributary"
  elif [ -x build/tributary ]; then
    TRIBUTARY_BIN="$ROOT/build/tributary"
  else
    TRIBUTARY_BIN=$(ls -t "$ROOT"/build*/tributary 2>/dev/null | head -1)
  fi
fi
if [ ! -x "$TRIBUTARY_BIN" ]; then
  echo "soak.sh: $TRIBUTARY_BIN is missing: build the tributary target (scripts/build.sh)" >&2
  exit 2
fi
if ! kafka_libs=$(tests/support/kafka/fetch.sh ${TRIBUTARY_KAFKA_VERSION:+"$TRIBUTARY_KAFKA_VERSION"}); then
  echo "soak.sh: tests/support/kafka/fetch.sh could not fetch Kafka's jars" >&2
  exit 2
fi

summary=$(mktemp /tmp/tributary-soak-summary.XXXXXX)
log=${keep_log:-$(mktemp /tmp/tributary-soak-log.XXXXXX)}
trap 'rm -f "$summary"; [ -n "$keep_log" ] || rm -f "$log"' EXIT

echo "soak: $iterations iterations, seed $seed, $(basename "$(dirname "$kafka_libs")"), log $log" >&2
started=$(date +%s)
TRIBUTARY_BIN="$TRIBUTARY_BIN" TRIBUTARY_TEST_KAFKA=kafka \
PYTHONPATH="$ROOT/tests/support" PYTHONDONTWRITEBYTECODE=1 \
TRIBUTARY_CRASH_ITERATIONS="$iterations" TRIBUTARY_CRASH_SEED="$seed" \
TRIBUTARY_CRASH_ROWS="$rows" TRIBUTARY_CRASH_SUMMARY="$summary" \
  /usr/bin/python3 -m pytest -q -x -s -p no:cacheprovider tests/integration/test_crash.py 2>&1 \
  | tee "$log" | grep --line-buffered -E '^(iteration|verification|kill -9 test)' >&2
status=${PIPESTATUS[0]}
elapsed=$(( $(date +%s) - started ))

if [ "$status" -ne 0 ]; then
  echo "---- pytest output (tail) ----" >&2
  tail -n 80 "$log" >&2
fi
kafka_version=$(basename "$(dirname "$kafka_libs")"); kafka_version=${kafka_version#kafka-}
/usr/bin/python3 - "$summary" "$status" "$elapsed" "$iterations" "$seed" "$kafka_version" <<'EOF'
import json, sys
path, status, elapsed, iterations, seed, kafka = sys.argv[1:]
try:
    with open(path) as f:
        s = json.load(f)
except (OSError, ValueError):
    s = {}
def get(name):
    value = s.get(name)
    return "?" if value is None else value
print(f"soak: iterations={s.get('iterations', iterations)} seed={s.get('seed', seed)} "
      f"events_verified={get('events')} lost={get('lost')} duplicated={get('duplicated')} "
      f"result={'PASS' if status == '0' else 'FAIL'} seconds={elapsed} kafka={kafka} "
      f"snapshot_attempts={get('snapshot_attempts')} stale_snapshot_keys={get('stale_snapshot_keys')} "
      f"snapshots_resumed={s.get('moments', {}).get('snapshot (resumed on restart)', 0)} "
      f"snapshot_rows_read_twice={s.get('snapshot_rows_read_twice', 0)} "
      f"moments={json.dumps(s.get('moments', {}), sort_keys=True)}")
EOF
exit "$status"
