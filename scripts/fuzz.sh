#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang into build-fuzz and runs each for N seconds
# (default 20) on its committed seed corpus. Exit status 1 when any harness finds a crash;
# reproducers are left in build-fuzz/fuzz/artifacts/<harness>/. docs/reliability.md.
# Usage: scripts/fuzz.sh [seconds-per-harness] [harness ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  harnesses=(feed extract charset url query config email records)
fi
if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-dev)" >&2
  exit 77
fi
build=${NEWSWATCH_FUZZ_BUILD:-build-fuzz}
CC=clang CXX=clang++ cmake -S . -B "$build" -DNEWSWATCH_FUZZ=ON -DNEWSWATCH_BUILD_TESTS=OFF \
  -DNEWSWATCH_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
nice make -C "$build" -j"${NEWSWATCH_JOBS:-2}" fuzzers >/dev/null

status=0
for h in "${harnesses[@]}"; do
  work="$build/fuzz/work/$h"       # the grown corpus: scratch, not committed
  artifacts="$build/fuzz/artifacts/$h/"
  mkdir -p "$work" "$artifacts"
  dict=()
  case $h in feed | extract | charset) dict=(-dict=fuzz/markup.dict) ;; esac
  log="$build/fuzz/$h.log"
  if "$build/fuzz/${h}_fuzz" "$work" "fuzz/corpus/$h" "${dict[@]}" -max_total_time="$seconds" \
      -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$artifacts" >"$log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
    printf '%-8s ok    %8s execs %6s/s  cov %s\n' "$h" "${execs:-?}" "${speed:-?}" "${cov:-?}"
  else
    printf '%-8s CRASH (see %s, reproducer in %s)\n' "$h" "$log" "$artifacts"
    grep -m3 -E 'ERROR|SUMMARY|runtime error' "$log" || true
    status=1
  fi
done
exit $status
