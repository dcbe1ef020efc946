#!/usr/bin/env bash
# Build the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) in build-fuzz/ and
# run each for a bounded time: fuzz_message (Message::from_bytes + coding), fuzz_container
# (parse_container), fuzz_decompress (the whole decoder with tests/data/fuzz_model.lbbm) and
# fuzz_roundtrip (compress, decode, damage a stream, decode again), SECONDS split between them (a
# quarter each).  Exits non-zero if a fuzzer finds a crash, leak, UB or failed check.
#
# usage: fuzz/run_fuzz.sh [SECONDS=60]
# env:   LBB_FUZZ_JOBS (build parallelism, default 1), LBB_FUZZ_BUILD_DIR (default build-fuzz)
# Debian packages needed: clang (clang-14) and libclang-rt-14-dev (libFuzzer + sanitizer runtimes),
# plus the project's usual build deps (cmake, make, libgtest-dev, libpng-dev, zlib1g-dev).
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${LBB_FUZZ_BUILD_DIR:-${root}/build-fuzz}"
cc="$(command -v clang || command -v clang-14 || true)"
cxx="$(command -v clang++ || command -v clang++-14 || true)"
if [[ -z "${cc}" || -z "${cxx}" ]]; then
  echo "run_fuzz.sh: clang not found (apt-get install -y clang libclang-rt-14-dev)" >&2
  exit 2
fi
cmake -S "${root}" -B "${build}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="${cc}" -DCMAKE_CXX_COMPILER="${cxx}" \
  -DLBB_WITH_TORCH=OFF -DLBB_BUILD_TESTS=OFF -DLBB_BUILD_BENCH=OFF -DLBB_BUILD_FUZZ=ON >/dev/null
cmake --build "${build}" --target fuzz_message fuzz_container fuzz_decompress fuzz_roundtrip -j"${LBB_FUZZ_JOBS:-1}"

artifacts="${build}/artifacts/"
mkdir -p "${artifacts}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
first=$(( (seconds + 3) / 4 ))
second=$first
third=$first
fourth=$(( seconds - 3 * first > 0 ? seconds - 3 * first : 1 ))

# fuzz_message.  Seed: an empty message plus a few operations, so the fuzzer starts past from_bytes.
corpus="${build}/corpus"
mkdir -p "${corpus}"
printf '\x00\x00\x00\x10\x20\x30\x40\x50\x60\x70\x80\x01\x02\x03\x04' >"${corpus}/seed_ops"
"${build}/fuzz_message" -max_total_time="${first}" -timeout=10 -rss_limit_mb=2048 \
  -max_len=4096 -artifact_prefix="${artifacts}" -print_final_stats=1 "${corpus}"

# fuzz_container.  The first byte picks the mode (0 as is, 1 CRC fixed up, 2 structured); seeds
# are valid version-3 containers: one 28x28 grey PNG entry in one stream; three entries (8x8 grey
# PNM, 8x8 RGBA PNG of a 2-colour palette in 4x4 index tiles + one alpha tile; IDX of 3 8x8 images)
# over three streams, one empty.  The structured seed asks for a few entries and streams.
corpus="${build}/corpus_container"
mkdir -p "${corpus}"
one='\x4c\x42\x42\x03\x78\x56\x34\x12\x20\x0e\x01\x00\x05\x61\x2e\x70\x6e\x67\x00\x00\x01\x00\x1c\x1c\x01\x1c\x1c\x01\x00\x01\x14\xbe\xba\xfe\xca\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\xc7\x49\x2a\x06'
three='\x4c\x42\x42\x03\x78\x56\x34\x12\x20\x0e\x03\x00\x05\x67\x2e\x70\x67\x6d\x00\x01\x01\x00\x08\x08\x01\x08\x08\x01\x00\x00\x05\x63\x2e\x70\x6e\x67\x00\x00\x04\x02\x01\x02\x03\x04\x05\x06\x08\x08\x01\x04\x04\x01\x08\x08\x00\x00\x05\x64\x2e\x69\x64\x78\x00\x02\x01\x00\x08\x08\x03\x08\x08\x01\x00\x03\x02\x00\x02\x00\x05\xbe\xba\xfe\xca\x01\x02\x03\x04\x05\x06\x07\xe8\x9a\x74\x13'
printf "\\x00${one}" >"${corpus}/seed_one"
printf "\\x01${three}" >"${corpus}/seed_three"
printf '\x02\x78\x56\x34\x12\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x05\x61\x62\x63\x64\x65\x01\x03\x01\x10\x18\x01\x07\x0b\x03\x01\x03\x00\x09\x03\x00\x11\x11\x03\x04\x01\x00\x02\x15\x08\x09\x03\x05\x01\x02\x07\x03\x11\x11\x00\x02\x00\x04\x00\x03\x00\x02\x05' >"${corpus}/seed_structured"
"${build}/fuzz_container" -max_total_time="${second}" -timeout=10 -rss_limit_mb=2048 \
  -max_len=8192 -artifact_prefix="${artifacts}container-" -print_final_stats=1 "${corpus}"

# fuzz_decompress.  Seeds: the valid file tests/data/fuzz_seed.lbb as is (mode 0), with its
# CRC fixed up (mode 1) and with its streams resealed (mode 2), the damaged corpus of
# tests/data/damaged in modes 1 and 2, and the committed corpus fuzz/corpus/decompress.
corpus="${build}/corpus_decompress"
mkdir -p "${corpus}"
{ printf '\x00'; cat "${root}/tests/data/fuzz_seed.lbb"; } >"${corpus}/seed_valid"
{ printf '\x01'; cat "${root}/tests/data/fuzz_seed.lbb"; } >"${corpus}/seed_valid_crc"
{ printf '\x02'; cat "${root}/tests/data/fuzz_seed.lbb"; } >"${corpus}/seed_valid_resealed"
for f in "${root}"/tests/data/damaged/*.lbb; do
  { printf '\x01'; cat "$f"; } >"${corpus}/seed_$(basename "$f" .lbb)"
  { printf '\x02'; cat "$f"; } >"${corpus}/seed_resealed_$(basename "$f" .lbb)"
done
# The committed corpus of the last long campaign (minimized with -merge=1; fuzz/corpus/README).
if [[ -d "${root}/fuzz/corpus/decompress" ]]; then cp "${root}"/fuzz/corpus/decompress/* "${corpus}/"; fi
"${build}/fuzz_decompress" -max_total_time="${third}" -timeout=10 -rss_limit_mb=2048 \
  -max_len=16384 -artifact_prefix="${artifacts}decompress-" -print_final_stats=1 "${corpus}"

# fuzz_roundtrip.  Seeds: images to compress, then damage (grey; RGBA of few levels).
corpus="${build}/corpus_roundtrip"
mkdir -p "${corpus}"
printf '\x02\x00\x03\x80\x01\x01\x00\x10\x20\x30\x40\x50\x60\x70\x80\x90' >"${corpus}/seed_images"
printf '\x01\x01\x03\x09\x0b\x04\x01\x00\x01\x02\x03\x00\x01\x02\x03\x05' >"${corpus}/seed_images_rgba"
"${build}/fuzz_roundtrip" -max_total_time="${fourth}" -timeout=10 -rss_limit_mb=2048 \
  -max_len=4096 -artifact_prefix="${artifacts}roundtrip-" -print_final_stats=1 "${corpus}"
