#!/usr/bin/env bash
# Resumable-snapshot soak: many short kill -9 runs of tests/integration/test_crash.py
# (PostgreSQL), each on a fresh database, so that most kills land inside the chunked initial
# snapshot or its resume (a long soak.sh run kills inside the snapshot only in its first
# iterations). Prints one line per run and a total:
#   snapshot-soak: runs=N kills_in_snapshot=K resumes=R stale_snapshot_keys=S rows_read_twice=T lost=L duplicated=D result=PASS|FAIL
#
# Usage: scripts/snapshot-soak.sh [--runs N] [--iterations I] [--seed S] [--build-dir DIR]
# Defaults: 30 runs of 3 iterations, seeds S, S+1, ... (S random), 20000 rows, chunks of 500.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
runs=30
iterations=3
seed=$(( (RANDOM << 15 | RANDOM) + 1 ))
build_dir="${BUILD_DIR:-build}"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --iterations) iterations="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "snapshot-soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
TRIBUTARY_BIN="${TRIBUTARY_BIN:-$ROOT/$build_dir/tributary}"
if [ ! -x "$TRIBUTARY_BIN" ]; then
  echo "snapshot-soak.sh: $TRIBUTARY_BIN is missing: build the tributary target" >&2
  exit 2
fi
tests/support/kafka/fetch.sh >/dev/null || { echo "snapshot-soak.sh: no Kafka jars" >&2; exit 2; }
summaries=$(mktemp -d /tmp/tributary-snapshot-soak.XXXXXX)
status=0
for ((run = 0; run < runs; run++)); do
  run_seed=$((seed + run))
  log="$summaries/run-$run.log"
  TRIBUTARY_BIN="$TRIBUTARY_BIN" TRIBUTARY_TEST_KAFKA=kafka \
  PYTHONPATH="$ROOT/tests/support" PYTHONDONTWRITEBYTECODE=1 \
  TRIBUTARY_CRASH_ITERATIONS="$iterations" TRIBUTARY_CRASH_SEED="$run_seed" \
  TRIBUTARY_CRASH_SUMMARY="$summaries/run-$run.json" \
    /usr/bin/python3 -m pytest -q -x -s -p no:cacheprovider -k postgres \
      tests/integration/test_crash.py > "$log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || status=1
  echo "run $run seed $run_seed rc $rc: $(grep -E '^verification' "$log" | cut -c1-220)" >&2
  [ "$rc" -eq 0 ] || tail -n 40 "$log" >&2
done
/usr/bin/python3 - "$summaries" "$status" "$runs" <<'PY'
import glob, json, sys
directory, status, runs = sys.argv[1:]
total = {"kills_in_snapshot": 0, "resumes": 0, "stale": 0, "twice": 0, "lost": 0, "dup": 0}
for path in glob.glob(f"{directory}/run-*.json*"):
    try:
        s = json.load(open(path))
    except (OSError, ValueError):
        continue
    moments = s.get("moments", {})
    total["kills_in_snapshot"] += sum(v for k, v in moments.items() if k.startswith("snapshot"))
    total["resumes"] += moments.get("snapshot (resumed on restart)", 0)
    total["stale"] += s.get("stale_snapshot_keys") or 0
    total["twice"] += s.get("snapshot_rows_read_twice") or 0
    total["lost"] += s.get("lost") or 0
    total["dup"] += s.get("duplicated") or 0
print(f"snapshot-soak: runs={runs} kills_in_snapshot={total['kills_in_snapshot']} "
      f"resumes={total['resumes']} stale_snapshot_keys={total['stale']} "
      f"rows_read_twice={total['twice']} lost={total['lost']} duplicated={total['dup']} "
      f"result={'PASS' if status == '0' else 'FAIL'} (logs: {directory})")
PY
exit "$status"
