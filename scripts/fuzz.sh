#!/usr/bin/env bash
# Builds the safetensors fuzzer with clang (libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer) into
# build-fuzz/ and runs it for a bounded time.
#   bash scripts/fuzz.sh [seconds] [extra libFuzzer flags...]      (default: 30 seconds)
# The seeds in fuzz/corpus/ are only read; inputs the fuzzer finds go to build-fuzz/corpus/, and an input that
# crashes lands in build-fuzz/artifacts/ (replay it with: build-fuzz/fuzz_safetensors build-fuzz/artifacts/<file>).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (Debian: apt-get install clang)" >&2; exit 1; }
generator=()  # Ninja for a new build folder when installed, as scripts/build.sh does
[ ! -f build-fuzz/CMakeCache.txt ] && command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S fuzz -B build-fuzz "${generator[@]}" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build-fuzz -j "$(nproc)"

mkdir -p build-fuzz/corpus build-fuzz/artifacts
# The first corpus folder is where new inputs are written, so the committed seeds stay as they are.
build-fuzz/fuzz_safetensors build-fuzz/corpus fuzz/corpus \
  -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=4096 -timeout=10 \
  -artifact_prefix=build-fuzz/artifacts/ -print_final_stats=1 "$@"
