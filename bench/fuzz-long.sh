#!/usr/bin/env bash
# Long fuzzing run (not CI): every harness for N minutes (default 30), then a table of total
# execs, exec/s, CPU seconds, coverage (libFuzzer "cov" edges and "ft" features), grown corpus
# size and findings (crash/timeout/oom reproducers in build-fuzz/fuzz/artifacts/<harness>/).
# Usage: bench/fuzz-long.sh [minutes-per-harness] [harness ...]
# NEWSWATCH_FUZZ_PARALLEL=K runs K harnesses at a time (default 1). On a shared machine the CPU
# column says how much of the wall time each harness actually ran; compare exec counts, not time.
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
shift || true
build=${NEWSWATCH_FUZZ_BUILD:-build-fuzz}
parallel=${NEWSWATCH_FUZZ_PARALLEL:-1}
bash scripts/fuzz.sh 1 "$@" >/dev/null 2>&1 # configure and build; the 1 s run checks startup
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(feed extract charset url query config email records)

run_one() {
  local h=$1
  local work="$build/fuzz/work/$h" artifacts="$build/fuzz/artifacts/$h/"
  mkdir -p "$work" "$artifacts"
  local dict=()
  case $h in feed | extract | charset) dict=(-dict=fuzz/markup.dict) ;; esac
  # -fork keeps going after a finding; every crash/timeout/oom lands in $artifacts.
  nice /usr/bin/time -f '%U %S' -o "$build/fuzz/$h.long.cpu" \
    "$build/fuzz/${h}_fuzz" "$work" "fuzz/corpus/$h" "${dict[@]}" -fork=1 -ignore_crashes=1 \
    -ignore_timeouts=1 -ignore_ooms=1 -max_total_time=$((minutes * 60)) -max_len=65536 \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts" \
    >"$build/fuzz/$h.long.log" 2>&1
}

running=0
for h in "${harnesses[@]}"; do
  run_one "$h" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

printf '%-8s %11s %7s %7s %6s %7s %7s  %s\n' harness execs exec/s cpu-s cov ft corpus findings
for h in "${harnesses[@]}"; do
  log="$build/fuzz/$h.long.log"
  # In fork mode the parent prints "#N ... cov: C ft: F ... exec/s: E" lines summed over jobs.
  total=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  execs=$(grep -oE 'exec/s:? [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  cpu=$(awk '{printf "%d", $1 + $2}' "$build/fuzz/$h.long.cpu" 2>/dev/null)
  corpus=$(find "$build/fuzz/work/$h" -type f | wc -l)
  findings=$(find "$build/fuzz/artifacts/$h/" -type f | wc -l)
  printf '%-8s %11s %7s %7s %6s %7s %7s  %s\n' "$h" "${total:-?}" "${execs:-?}" "${cpu:-?}" \
    "${cov:-?}" "${ft:-?}" "$corpus" "$findings"
done
