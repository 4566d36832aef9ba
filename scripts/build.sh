#!/usr/bin/env bash
# Configures and builds glimpse into a build folder.
#   bash scripts/build.sh [build-dir] [extra cmake args...]     (default: build/, Release)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
