#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, run the whole test suite, then the same suite again in a
# separate AddressSanitizer + UndefinedBehaviorSanitizer build, then fuzz the safetensors reader for 30 seconds
# (GLIMPSE_FUZZ_SECONDS to change that). Prints how long each phase took.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"
start=$SECONDS
phase_start=$SECONDS
done_phase() {
  echo "== $1 took $((SECONDS - phase_start)) s (total $((SECONDS - start)) s)"
  phase_start=$SECONDS
}

bash scripts/install_deps.sh
done_phase "installing dependencies"

echo "== release build: build/"
bash scripts/build.sh build
# Besides every case on its own, this runs the distributed suite as one job of 2 processes (mpirun_np2_test_distributed,
# release builds with Open MPI only, 300 s timeout) and the examples under mpirun -np 2 (tests/distributed/).
ctest --test-dir build -j "$jobs" --output-on-failure
done_phase "release build and tests"

# The sanitizer build: -Og (GCC's optimisation for debugging) compiles about 40 % faster than -O1 under the
# sanitizers (CPU for data/mnist.cpp 8.3 -> 4.7 s, nn/state_dict.cpp 9.4 -> 6.1 s), which outweighs the tests running
# somewhat slower, and -g1 (line tables) is all a sanitizer report needs to name file and line.
echo "== sanitizer build (ASan + UBSan): build-asan/"
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-Og -g1" \
  -DGLIMPSE_SANITIZE=ON -DGLIMPSE_BUILD_EXAMPLES=OFF -DGLIMPSE_BUILD_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -j "$jobs" --output-on-failure
done_phase "sanitizer build and tests"

echo "== fuzzing the checkpoint reader (libFuzzer, bounded): build-fuzz/"
bash scripts/fuzz.sh "${GLIMPSE_FUZZ_SECONDS:-30}"
done_phase "fuzzing"
