#!/usr/bin/env bash
# Install what mlake needs to build and test on Debian 12 (bookworm).
set -euo pipefail

packages=(
  cmake g++ ninja-build pkg-config git ca-certificates
  libgit2-dev libcli11-dev libsqlitecpp-dev libsqlite3-dev libyaml-cpp-dev
  libssl-dev catch2 libcurl4-openssl-dev nlohmann-json3-dev scdoc
  python3 openssl graphviz
)

# The S3-compatible server the tests run (s3rver) is a Node.js package:
# Debian's nodejs and npm where the machine has no npm of its own.
command -v npm > /dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# s3rver, pinned by tests/s3/package-lock.json, into tests/s3/node_modules.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$here/tests/s3/node_modules/.bin/s3rver" ]; then
  npm ci --prefix "$here/tests/s3" --no-audit --no-fund --loglevel=error
fi
