#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and run the main example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh build
./build/examples/context_network
