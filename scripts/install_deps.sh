#!/usr/bin/env bash
# Installs the Debian packages glimpse needs, if any are missing. Idempotent; prints nothing when all are present.
#   bash scripts/install_deps.sh          build + test dependencies
#   GLIMPSE_WITH_TORCH=1 bash ...         also python3-torch (only the benchmarks and reference scripts use it)
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build                         # ninja: scripts/build.sh's faster generator
  libopenblas-openmp-dev libfmt-dev xtl-dev doctest-dev nlohmann-json3-dev  # the library (OpenBLAS: OpenMP build)
  libcli11-dev libpugixml-dev libxsimd-dev zlib1g-dev                     # flags, SVG checks, vector math, gzip
  librsvg2-bin                                                         # tests render every SVG to PNG
  clang libclang-rt-14-dev                                             # the checkpoint reader's fuzz target
  python3-numpy                                                        # a test reads checkpoints back with NumPy
  graphviz                                                             # renders the autograd graph example to SVG
  libopenmpi-dev openmpi-bin                                           # distributed/: data-parallel over MPI
)
if [ "${GLIMPSE_WITH_TORCH:-0}" = "1" ]; then
  packages+=(python3-torch)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "glimpse: these Debian packages are missing: ${missing[*]}" >&2
  echo "glimpse: run this script as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "glimpse: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
