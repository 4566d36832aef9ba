#!/usr/bin/env bash
# Configures and builds glimpse into a build folder.
#   bash scripts/build.sh [build-dir] [extra cmake args...]     (default: build/, Release)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
# A new build folder uses Ninja when it is installed (scripts/install_deps.sh installs ninja-build): it keeps both cores
# busy across targets (Make finishes the library before it starts any test file) and has less work per file. A folder
# configured before keeps its generator (CMake refuses to switch one).
generator=()
if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi
cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
