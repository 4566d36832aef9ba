#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, run the whole test suite, then the same suite again in a
# separate AddressSanitizer + UndefinedBehaviorSanitizer build, then fuzzes the safetensors reader for 30 seconds
# (GLIMPSE_FUZZ_SECONDS to change that).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
jobs="$(nproc)"

echo "== release build: build/"
bash scripts/build.sh build
ctest --test-dir build -j "$jobs" --output-on-failure

echo "== sanitizer build (ASan + UBSan): build-asan/"
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLIMPSE_SANITIZE=ON \
  -DGLIMPSE_BUILD_EXAMPLES=OFF -DGLIMPSE_BUILD_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -j "$jobs" --output-on-failure

echo "== fuzzing the checkpoint reader (libFuzzer, bounded): build-fuzz/"
bash scripts/fuzz.sh "${GLIMPSE_FUZZ_SECONDS:-30}"
