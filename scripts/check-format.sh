#!/usr/bin/env bash
# Fails when any of our C++ files differs from clang-format's output.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -- 'core/*.h' 'core/*.cc' 'fetchers/*.h' 'fetchers/*.cc' \
  'parsers/*.h' 'parsers/*.cc' 'storage/*.h' 'storage/*.cc' 'alerts/*.h' 'alerts/*.cc' \
  'daemon/*.h' 'daemon/*.cc' 'tests/*.h' 'tests/*.cc' 'bench/*.cc' 'fuzz/*.cc')
if ((${#files[@]} == 0)); then echo "check-format: no files"; exit 0; fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "check-format: $f is not clang-formatted (run: clang-format -i $f)"
    bad=1
  fi
done
if ((bad)); then exit 1; fi
echo "check-format: ${#files[@]} files clean"
