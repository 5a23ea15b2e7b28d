#!/usr/bin/env bash
# clang-tidy over our own sources with the checks in .clang-tidy; fails on any warning.
# Needs a configured build (compile_commands.json): bash scripts/check-tidy.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
if [[ ! -f "$build/compile_commands.json" ]]; then
  echo "check-tidy: $build/compile_commands.json missing; configure first (cmake -S . -B $build)" >&2
  exit 2
fi
mapfile -t files < <(git ls-files 'core/*.cc' 'fetchers/*.cc' 'parsers/*.cc' 'storage/*.cc' \
  'alerts/*.cc' 'daemon/*.cc')
out=$(mktemp)
trap 'rm -f "$out"' EXIT
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet --extra-arg=-Wno-unknown-warning-option 2>/dev/null >"$out" || true
if grep -qE "(warning|error):" "$out"; then
  grep -E -A3 "(warning|error):" "$out" >&2
  echo "check-tidy: $(grep -cE "(warning|error):" "$out") finding(s)" >&2
  exit 1
fi
echo "check-tidy: ${#files[@]} files clean"
