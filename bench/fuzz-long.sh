#!/usr/bin/env bash
# Long fuzzing run (not CI): every harness for N minutes (default 30), one after the other, then a
# table of execs/s, coverage (libFuzzer "cov" edges and "ft" features), corpus size and findings.
# Usage: bench/fuzz-long.sh [minutes-per-harness] [harness ...]
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
shift || true
build=${NEWSWATCH_FUZZ_BUILD:-build-fuzz}
bash scripts/fuzz.sh 1 "$@" >/dev/null 2>&1  # configure and build; the 1 s run checks startup
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(feed extract charset url query config email records)
printf '%-8s %10s %8s %8s %8s %8s  %s\n' harness execs exec/s cov ft corpus findings
for h in "${harnesses[@]}"; do
  work="$build/fuzz/work/$h"
  artifacts="$build/fuzz/artifacts/$h/"
  mkdir -p "$work" "$artifacts"
  dict=()
  case $h in feed | extract | charset) dict=(-dict=fuzz/markup.dict) ;; esac
  log="$build/fuzz/$h.long.log"
  # -fork keeps going after a finding; every crash/timeout/oom lands in $artifacts.
  nice "$build/fuzz/${h}_fuzz" "$work" "fuzz/corpus/$h" "${dict[@]}" -fork=1 -ignore_crashes=1 \
    -ignore_timeouts=1 -ignore_ooms=1 -max_total_time=$((minutes * 60)) -max_len=65536 \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts" >"$log" 2>&1
  execs=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  total=$(grep -oE '#[0-9]+' "$log" | tail -1 | tr -d '#')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  corpus=$(find "$work" -type f | wc -l)
  findings=$(find "$artifacts" -type f | wc -l)
  printf '%-8s %10s %8s %8s %8s %8s  %s\n' "$h" "${total:-?}" "${execs:-?}" "${cov:-?}" \
    "${ft:-?}" "$corpus" "$findings"
done
