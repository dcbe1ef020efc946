#!/usr/bin/env bash
# Build fuzz_message with clang (-fsanitize=fuzzer,address,undefined) in build-fuzz/ and run it
# for a bounded time.  Exits non-zero if the fuzzer finds a crash, leak, UB or failed check.
#
# usage: fuzz/run_fuzz.sh [SECONDS=60]
# Debian packages needed: clang (clang-14) and libclang-rt-14-dev (libFuzzer + sanitizer runtimes),
# plus the project's usual build deps (cmake, make, libgtest-dev, libpng-dev, zlib1g-dev).
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/build-fuzz"
cc="$(command -v clang || command -v clang-14 || true)"
cxx="$(command -v clang++ || command -v clang++-14 || true)"
if [[ -z "${cc}" || -z "${cxx}" ]]; then
  echo "run_fuzz.sh: clang not found (apt-get install -y clang libclang-rt-14-dev)" >&2
  exit 2
fi
cmake -S "${root}" -B "${build}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="${cc}" -DCMAKE_CXX_COMPILER="${cxx}" \
  -DLBB_WITH_TORCH=OFF -DLBB_BUILD_TESTS=OFF -DLBB_BUILD_BENCH=OFF -DLBB_BUILD_FUZZ=ON >/dev/null
cmake --build "${build}" --target fuzz_message -j"${LBB_FUZZ_JOBS:-1}"
corpus="${build}/corpus"
artifacts="${build}/artifacts/"
mkdir -p "${corpus}" "${artifacts}"
# Seed: an empty message plus a few operations, so the fuzzer starts past from_bytes.
printf '\x00\x00\x00\x10\x20\x30\x40\x50\x60\x70\x80\x01\x02\x03\x04' >"${corpus}/seed_ops"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
"${build}/fuzz_message" -max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 \
  -max_len=4096 -artifact_prefix="${artifacts}" -print_final_stats=1 "${corpus}"
