// The two checksums of the tree, written once.
//
//   crc32   CRC-32 of IEEE 802.3 (zlib's `crc32`): the .lbb container (whole file and decoded
//           images) and tensor archives (model files).
//   crc32c  CRC-32C (Castagnoli): the rANS message's serialised form (ans/message.h).
//
// Both continue a checksum over more bytes: crc(a‖b) = crc(b, size_b, crc(a)); crc(∅) = 0.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lbb {

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);
uint32_t crc32c(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace lbb
