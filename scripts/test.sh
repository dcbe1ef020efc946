#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite (ctest) plus a bounded fuzzing run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
ctest --test-dir "$root/build" --output-on-failure -j1
LBB_FUZZ_JOBS="$(nproc)" "$root/fuzz/run_fuzz.sh" "${LBB_FUZZ_SECONDS:-60}"
