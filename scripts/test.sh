#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (the README's test command).
# Usage: scripts/test.sh [--sanitize | --tsan]
#   --sanitize: ASan+UBSan build in build-asan/; --tsan: ThreadSanitizer build in build-tsan/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

build=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [[ "${1:-}" == "--sanitize" ]]; then
  build=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Debug -DNEWSWATCH_SANITIZE=ON -DNEWSWATCH_BUILD_BENCH=OFF)
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp}"
elif [[ "${1:-}" == "--tsan" ]]; then
  build=build-tsan
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEWSWATCH_TSAN=ON -DNEWSWATCH_BUILD_BENCH=OFF)
  # Inherited by the daemon processes the e2e tests start: a race makes them exit non-zero.
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp}"
fi
jobs=$(nproc)
cmake -S . -B "$build" "${flags[@]}"
cmake --build "$build" -j "$jobs"
cd "$build"
ctest --output-on-failure -j "$jobs" --timeout 600
