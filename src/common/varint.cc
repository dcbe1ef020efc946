#include "common/varint.h"

#include "common/assert.h"

namespace lbb {

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

VarintStatus get_varint(const uint8_t* data, size_t size, size_t* pos, uint64_t* value) {
  LBB_ASSERT(*pos <= size);
  uint64_t v = 0;
  size_t p = *pos;
  for (int shift = 0;; shift += 7) {
    if (p >= size) return VarintStatus::kTruncated;
    const uint8_t b = data[p++];
    const uint64_t part = b & 0x7Fu;
    if (shift == 63) {  // the tenth byte: bit 63 and nothing above it
      if (part > 1) return VarintStatus::kOverflow;
      if (b & 0x80) return VarintStatus::kTooLong;
    }
    v |= part << shift;
    if (!(b & 0x80)) {
      if (b == 0 && shift > 0) return VarintStatus::kNonCanonical;  // V2: shortest forms only
      break;
    }
  }
  LBB_ASSERT(p - *pos <= kMaxVarintBytes);  // V1: at most 10 bytes
  *pos = p;
  *value = v;
  return VarintStatus::kOk;
}

}  // namespace lbb
