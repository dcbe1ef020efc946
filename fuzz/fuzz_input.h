// What the libFuzzer targets share: reading their input as a stream of little-endian values
// (zeros once it is used up), a check that aborts (so the fuzzer reports it), and the whole-file
// CRC fix-up that lets mutated containers past their CRC.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace lbb::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

struct Reader {
  const uint8_t* p;
  size_t n;
  uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{byte()} << (8 * i);
    return v;
  }
  uint64_t u64() { return u32() | uint64_t{u32()} << 32; }
  double f64() {
    const uint64_t b = u64();
    double d;
    std::memcpy(&d, &b, sizeof d);
    return d;
  }
};

// Overwrites the last 4 bytes with the CRC-32 of the others (the container's file CRC).
inline void fix_file_crc(std::vector<uint8_t>* bytes) {
  if (bytes->size() < 4) return;
  const size_t body = bytes->size() - 4;
  const uint32_t crc = static_cast<uint32_t>(crc32_z(crc32_z(0, Z_NULL, 0), bytes->data(), body));
  for (int i = 0; i < 4; ++i) (*bytes)[body + i] = static_cast<uint8_t>(crc >> (8 * i));
}

}  // namespace lbb::fuzz
