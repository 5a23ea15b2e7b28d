#!/usr/bin/env bash
# Checks the configured unit file: `systemd-analyze verify` is clean and the exposure score of
# `systemd-analyze security` is at most 2.0. Usage: check_unit.sh UNIT_FILE NEWSWATCH_BINARY
set -euo pipefail
unit=$1
binary=$2
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze not installed; skipping"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# verify checks that ExecStart's program exists, so point it at the binary just built.
sed -E "s|^ExecStart=[^ ]+|ExecStart=$binary|" "$unit" > "$dir/newswatch.service"
out=$(systemd-analyze verify "$dir/newswatch.service" 2>&1) || { echo "$out"; exit 1; }
if [[ -n "$out" ]]; then
  echo "systemd-analyze verify reported:"; echo "$out"; exit 1
fi
score=$(systemd-analyze security --offline=true "$dir/newswatch.service" 2>&1 |
  sed -n 's/.*Overall exposure level for newswatch.service: \([0-9.]*\).*/\1/p')
echo "exposure: $score"
if [[ -z "$score" ]] || awk -v s="$score" 'BEGIN { exit !(s > 2.0) }'; then
  echo "exposure $score is above 2.0"; exit 1
fi
grep -q '^Type=notify' "$unit"
grep -q '^ExecReload=' "$unit"
grep -q '^Restart=on-failure' "$unit"
echo "unit ok"
