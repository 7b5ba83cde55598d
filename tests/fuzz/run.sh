#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a bounded time.
#
#   tests/fuzz/run.sh --build-dir DIR [--seconds N] [--jobs N] [target...]
#
# DIR holds the clang build (configured on the first run, incremental later), each target's
# growing working corpus (DIR/corpus/<target>, seeded from tests/fuzz/corpus/<target>), logs and
# crash artifacts. Targets: pgoutput config checkpoint envelope (default: all). Exits non-zero on
# any crash, leak, timeout or out-of-memory, printing the reproducer and how to replay it.
# The fuzz ctest runs it with --seconds TRIBUTARY_FUZZ_SECONDS (tests/fuzz/CMakeLists.txt);
# scripts/fuzz.sh runs it longer by hand.
set -euo pipefail
# The whole script is one function, read before it runs: editing this file meanwhile is safe.
main() {
  source_dir="$(cd "$(dirname "$0")/../.." && pwd)"
  build_dir=""
  seconds=60
  jobs=2
  targets=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --build-dir) build_dir="$2"; shift 2 ;;
      --seconds) seconds="$2"; shift 2 ;;
      --jobs) jobs="$2"; shift 2 ;;
      -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
      -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
      *) targets+=("$1"); shift ;;
    esac
  done
  if [ -z "$build_dir" ]; then echo "run.sh: --build-dir DIR is required" >&2; exit 2; fi
  all_targets=(pgoutput config checkpoint envelope binlog)
  if [ "${#targets[@]}" -eq 0 ]; then targets=("${all_targets[@]}"); fi
  for target in "${targets[@]}"; do
    case " ${all_targets[*]} " in
      *" $target "*) ;;
      *) echo "run.sh: unknown target '$target' (known: ${all_targets[*]})" >&2; exit 2 ;;
    esac
  done

  # clang with libFuzzer: missing is a failure, not a skip (scripts/install-deps.sh installs it).
  cxx="${FUZZ_CXX:-}"
  if [ -z "$cxx" ]; then
    for candidate in clang++-14 clang++; do
      if command -v "$candidate" >/dev/null; then cxx="$candidate"; break; fi
    done
  fi
  if [ -z "$cxx" ] || ! command -v "$cxx" >/dev/null; then
    echo "FAIL: no clang++ found${cxx:+ (FUZZ_CXX=$cxx)}; the fuzz targets need clang with libFuzzer." >&2
    echo "      Run scripts/install-deps.sh (Debian 12: clang-14 libclang-rt-14-dev llvm-14)," >&2
    echo "      or set FUZZ_CXX to a clang++ with -fsanitize=fuzzer." >&2
    exit 1
  fi
  cc="${FUZZ_CC:-${cxx/clang++/clang}}"
  mkdir -p "$build_dir"
  build_dir="$(cd "$build_dir" && pwd)"
  probe="$build_dir/probe"
  mkdir -p "$probe"
  printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' \
    > "$probe/probe.cpp"
  if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe" 2> "$probe/error.txt"; then
    echo "FAIL: $cxx cannot link -fsanitize=fuzzer,address,undefined:" >&2
    sed 's/^/      /' "$probe/error.txt" >&2
    echo "      Install the libFuzzer runtime: scripts/install-deps.sh (libclang-rt-14-dev)." >&2
    exit 1
  fi

  # Build only the fuzz targets and the libraries they link. -O1 with line tables: quick to build,
  # symbolized stacks; no NDEBUG, so assert()s fire.
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S "$source_dir" -B "$build_dir" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
      -DTRIBUTARY_FUZZ=ON -DTRIBUTARY_TESTS=OFF >/dev/null
  fi
  local started=$SECONDS
  # Niced: under `ctest -j` the build fills the cycles the tests beside it leave idle.
  nice -n 10 cmake --build "$build_dir" -j"$jobs" --target "${targets[@]/#/fuzz_}"
  echo "built in $((SECONDS - started)) s"
  started=$SECONDS

  # Run the targets, `jobs` at a time. A target's command line:
  #   fuzz_<t> <working corpus> <seed corpus>   (new inputs go to the first directory only)
  # -timeout: one input taking that long is a hang; -rss_limit_mb: more memory is a failure.
  mkdir -p "$build_dir/logs" "$build_dir/artifacts"
  # Reproducers must name the failing input; symbolized stacks need llvm-symbolizer.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  run_target() {
    local target="$1"
    local work="$build_dir/corpus/$target"
    local seeds="$source_dir/tests/fuzz/corpus/$target"
    local dictionary="$source_dir/tests/fuzz/$target.dict"
    # A fixed seed (TRIBUTARY_FUZZ_SEED, default 1) makes a run repeat the previous one's first
    # mutations, so what CI finds was there to find in the run before it; scripts/fuzz.sh passes 0
    # (a new seed each time) for the long runs.
    local args=(-seed="${TRIBUTARY_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048
                -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/$target-")
    if [ -f "$dictionary" ]; then args+=(-dict="$dictionary"); fi
    mkdir -p "$work"
    set +e
    "$build_dir/tests/fuzz/fuzz_$target" "${args[@]}" "$work" "$seeds" \
      > "$build_dir/logs/$target.log" 2>&1 < /dev/null
    echo $? > "$build_dir/logs/$target.rc"
  }
  echo "fuzzing ${targets[*]} for ${seconds}s each, $jobs at a time (logs: $build_dir/logs)"
  running=0
  for target in "${targets[@]}"; do
    rm -f "$build_dir/logs/$target.rc"
    run_target "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  done
  wait || true
  echo "fuzzed in $((SECONDS - started)) s"

  failed=0
  for target in "${targets[@]}"; do
    log="$build_dir/logs/$target.log"
    rc="$(cat "$build_dir/logs/$target.rc" 2>/dev/null || echo missing)"
    # libFuzzer's last status line ("#N DONE cov: C ft: F corp: ...") and its final stats.
    status="$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)"
    speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
    if [ "$rc" = "0" ]; then
      echo "ok    $target: ${speed:-?} exec/s; $status"
      continue
    fi
    failed=1
    echo "FAIL  $target (exit $rc): $status"
    echo "----- $log (last 80 lines)"
    tail -n 80 "$log"
    echo "-----"
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
    if [ -n "$artifact" ]; then
      echo "reproducer: $artifact"
      echo "replay:     $build_dir/tests/fuzz/fuzz_$target $artifact"
      echo "keep it:    fix the bug, then copy it to tests/fuzz/corpus/$target/regression-<what>"
    fi
  done
  exit "$failed"
}

main "$@"
