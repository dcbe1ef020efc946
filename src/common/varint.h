// Unsigned LEB128 ("varint"): 7 bits a byte, low bits first, the top bit set on every byte but
// the last. The one implementation of the tree: the rANS message's borrow counter
// (ans/message.cc) and the .lbb container's header (format/container.cc) use it.
//
//   std::vector<uint8_t> out;
//   put_varint(out, 300);                        // appends 0xAC 0x02
//   size_t pos = 0; uint64_t v;
//   if (get_varint(out.data(), out.size(), &pos, &v) != VarintStatus::kOk) ...
//
// Contracts:
//   V1  put_varint writes the shortest form (1 to 10 bytes).
//   V2  get_varint accepts exactly the shortest forms of values < 2^64: any other byte string
//       is refused with a status saying why, and *pos and *value are then left unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lbb {

inline constexpr size_t kMaxVarintBytes = 10;

// Appends `v` in shortest form.
void put_varint(std::vector<uint8_t>& out, uint64_t v);

enum class VarintStatus {
  kOk,
  kTruncated,     // the bytes end before the last byte of the value
  kNonCanonical,  // a longer form than needed (a final 0x00 byte after the first)
  kOverflow,      // the tenth byte carries bits above 2^64
  kTooLong,       // the tenth byte says that more bytes follow
};

// Reads the varint at data[*pos, size); on kOk stores it in *value and moves *pos past it.
VarintStatus get_varint(const uint8_t* data, size_t size, size_t* pos, uint64_t* value);

}  // namespace lbb
