#!/usr/bin/env bash
# Configure (once) and build mlake into build/ (or $MLAKE_BUILD_DIR).
# Extra arguments go to the first cmake configure, e.g. -DMLAKE_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${MLAKE_BUILD_DIR:-build}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
fi
cmake --build "$build" -j "$(nproc)"
