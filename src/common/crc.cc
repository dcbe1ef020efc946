#include "common/crc.h"

#include <zlib.h>

namespace lbb {

namespace {

uint32_t crc32c_table_entry(uint32_t b) {
  for (int k = 0; k < 8; ++k) b = (b & 1) ? (b >> 1) ^ 0x82F63B78u : (b >> 1);
  return b;
}

struct Crc32cTable {
  uint32_t t[256];
  Crc32cTable() {
    for (uint32_t i = 0; i < 256; ++i) t[i] = crc32c_table_entry(i);
  }
};

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc) {
  // zlib's crc32_z(crc, nullptr, 0) answers its initial value (0), not `crc`: no bytes, no change.
  if (size == 0) return crc;
  return static_cast<uint32_t>(crc32_z(crc, data, size));
}

uint32_t crc32c(const uint8_t* data, size_t size, uint32_t crc) {
  static const Crc32cTable table;
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table.t[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

}  // namespace lbb
