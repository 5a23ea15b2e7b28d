#!/usr/bin/env bash
# Each C library stays behind its one .cc file (STYLE.md 4): fails when <curl/...>, <gumbo.h> or
# <rocksdb/...> is included anywhere else in our code.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
check() {
  local pattern=$1; shift
  local allowed=("$@")
  while IFS= read -r file; do
    local ok=0
    for a in "${allowed[@]}"; do [[ "$file" == $a ]] && ok=1; done
    if ((!ok)); then echo "check-edges: $file includes $pattern (allowed only in ${allowed[*]})"; bad=1; fi
  done < <(git grep -l -E "#include <$pattern" -- '*.h' '*.cc' || true)
}
check 'curl/' 'fetchers/http_client.cc' 'alerts/smtp*.cc'
check 'gumbo.h' 'parsers/html_dom.cc' 'parsers/extractor.cc'
check 'rocksdb/' 'storage/store.cc' 'storage/rocks_*.cc' 'tests/storage/*_test.cc' 'tests/support/raw_db.h'
if ((bad)); then exit 1; fi
echo "check-edges: ok"
