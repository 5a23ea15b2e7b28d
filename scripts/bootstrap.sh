#!/usr/bin/env bash
# Installs every Debian 12 package newswatch needs to build, run and test.
# Idempotent: installs only what is missing. Works as root, uses sudo otherwise.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git clang-format
  clang libclang-rt-dev clang-tidy  # libFuzzer harnesses (scripts/fuzz.sh), scripts/check-tidy.sh
  libcurl4-openssl-dev libboost-dev libboost-system-dev
  librocksdb-dev libzstd-dev liblz4-dev zlib1g-dev libbz2-dev libsnappy-dev libjemalloc-dev
  libgumbo-dev libxml2-dev libspdlog-dev libfmt-dev
  libtomlplusplus-dev nlohmann-json3-dev
  libstemmer-dev libutf8proc-dev libssl-dev libsystemd-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  python3 python3-aiosmtpd
  dpkg-dev file groff-base man-db  # the .deb (cpack, dpkg-shlibdeps) and its man pages
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "bootstrap: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
