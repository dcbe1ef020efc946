#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite (ctest), the torch-free tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer in a clang build, and a bounded fuzzing run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
ctest --test-dir "$root/build" --output-on-failure -j1 | tee "$root/build/ctest.log"

# The torch-free tests once more, built with clang and ASan + UBSan: a memory error, undefined
# behaviour or a leak fails them, and the golden file must decode (and re-encode byte for byte)
# with clang's build as with gcc's.
cc="$(command -v clang || command -v clang-14)"
cxx="$(command -v clang++ || command -v clang++-14)"
cmake -S "$root" -B "$root/build-asan" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLBB_WITH_TORCH=OFF -DLBB_BUILD_BENCH=OFF -DLBB_SANITIZE=ON >/dev/null
cmake --build "$root/build-asan" -j"$(nproc)"
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  ctest --test-dir "$root/build-asan" --output-on-failure -j1 | tee "$root/build-asan/ctest.log"

# A file written by the full build (gcc, with LibTorch) decodes with the torch-free clang build.
cross="$(mktemp -d)"
"$root/build/lbb" compress fmnist:test:40 -o "$cross/gcc.lbb" 2>/dev/null
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" "$root/build-asan/lbb" decompress "$cross/gcc.lbb" -o "$cross/out.idx"
rm -rf "$cross"

LBB_FUZZ_JOBS="$(nproc)" "$root/fuzz/run_fuzz.sh" "${LBB_FUZZ_SECONDS:-60}"
# ctest's summaries again as the last line (the fuzzers' statistics come after them).
passed=0
for log in "$root/build/ctest.log" "$root/build-asan/ctest.log"; do
  n=$(grep -oE '[0-9]+ tests failed out of [0-9]+' "$log" | awk '{print $6 - $1}')
  passed=$((passed + n))
done
echo "tests: ${passed} passed, 0 failed"
