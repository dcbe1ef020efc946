#!/usr/bin/env bash
# Installs the Debian packages lbb needs (as root, or through sudo) and builds it in build/.
#   scripts/setup.sh            packages + Release build of everything
#   LBB_SKIP_APT=1 scripts/setup.sh   build only
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packages=(
  build-essential cmake pkg-config
  libtorch-dev libopenblas0-pthread     # LibTorch (CPU); OpenBLAS instead of the slow reference BLAS
  libgloo-dev                           # Gloo's headers, for LibTorch's c10d ProcessGroupGloo (data-parallel lbb train)
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev                    # imitate's trajectory files (JSON Lines)
  libpng-dev zlib1g-dev
  dataset-fashion-mnist                 # /usr/share/datasets/fashion-mnist
  clang libclang-rt-14-dev              # libFuzzer for fuzz/run_fuzz.sh
  optipng webp libjxl-tools libopenjp2-tools  # baseline codecs for side-by-side sizes
  python3                               # scripts/bench_codecs.py
  imagemagick                           # montage: the mosaic in scripts/demo.sh
  gnuplot-nox                           # imitate figure: the PNG of Figure 2.1
  libmujoco-dev libqhull-dev            # MuJoCo 2.2.2: the locomotion tasks of imitate (its CMake target names qhull's headers)
)
if [[ "${LBB_SKIP_APT:-0}" != 1 ]]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    sudo=""
    [[ "$(id -u)" != 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j"$(nproc)"
