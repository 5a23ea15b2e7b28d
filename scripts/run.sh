#!/usr/bin/env bash
# Installs what is missing, builds newswatch and runs the daemon in the foreground on the
# shipped default config (the README's first command). Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEWSWATCH_BUILD_TESTS=OFF \
  -DNEWSWATCH_BUILD_BENCH=OFF
cmake --build build -j "$(nproc)" --target newswatch
exec build/newswatch run --config "${NEWSWATCH_CONFIG:-config/newswatch.toml}"
