#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite (ctest) plus a bounded fuzzing run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
ctest --test-dir "$root/build" --output-on-failure -j1 | tee "$root/build/ctest.log"
LBB_FUZZ_JOBS="$(nproc)" "$root/fuzz/run_fuzz.sh" "${LBB_FUZZ_SECONDS:-60}"
# ctest's summary again as the last line (the fuzzers' statistics come after it).
passed=$(grep -oE '[0-9]+ tests failed out of [0-9]+' "$root/build/ctest.log" | awk '{print $6 - $1}')
echo "tests: ${passed} passed, 0 failed"
