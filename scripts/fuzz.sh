#!/usr/bin/env bash
# Runs the libFuzzer targets longer than the suite does, by hand:
#   scripts/fuzz.sh [seconds] [target...]     (default 600 s each; targets: pgoutput config
#                                              checkpoint envelope, default all)
# Builds them with clang (ASan + UBSan) in ${FUZZ_BUILD_DIR:-build-fuzz}, two at a time, niced.
# Each target's corpus grows in <build dir>/corpus/<target>; crashes are written to
# <build dir>/artifacts/ and printed with the command that replays them. A finding, once fixed,
# is kept as tests/fuzz/corpus/<target>/regression-<what> (every run replays the corpus first).
# To add what a long run learned to the seeds: <build dir>/tests/fuzz/fuzz_<target> -merge=1
#   tests/fuzz/corpus/<target> <build dir>/corpus/<target>   (keep the repository small).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then seconds="$1"; shift; fi
TRIBUTARY_FUZZ_SEED="${TRIBUTARY_FUZZ_SEED:-0}" exec nice -n "${FUZZ_NICE:-15}" tests/fuzz/run.sh --build-dir "${FUZZ_BUILD_DIR:-build-fuzz}" \
  --seconds "$seconds" --jobs "${FUZZ_JOBS:-2}" "$@"
