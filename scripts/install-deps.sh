#!/usr/bin/env bash
# Install what mlake needs to build and test on Debian 12 (bookworm).
set -euo pipefail

packages=(
  cmake g++ ninja-build pkg-config git ca-certificates
  libgit2-dev libcli11-dev libsqlitecpp-dev libsqlite3-dev libyaml-cpp-dev
  libssl-dev catch2 libcurl4-openssl-dev nlohmann-json3-dev scdoc
  python3 openssl graphviz
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
