#include "codec/parallel.h"

namespace lbb {

namespace {
constexpr uint8_t kStreamsTag = 0xA2;

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
}

uint64_t get_varint(const uint8_t* data, size_t size, size_t* pos) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= size) throw MessageFormatError("streams_from_bytes: truncated length field");
    const uint8_t b = data[(*pos)++];
    if (shift == 63 && (b & 0x7F) > 1) break;
    v |= uint64_t{b & 0x7Fu} << shift;
    if (!(b & 0x80)) {
      if (b == 0 && shift > 0) throw MessageFormatError("streams_from_bytes: non-canonical length");
      return v;
    }
  }
  throw MessageFormatError("streams_from_bytes: length field overflows 64 bits");
}
}  // namespace

std::vector<uint8_t> streams_to_bytes(const std::vector<Message>& streams) {
  std::vector<uint8_t> out;
  out.push_back(kStreamsTag);
  put_varint(out, streams.size());
  for (const Message& m : streams) {
    const std::vector<uint8_t> b = m.to_bytes();
    put_varint(out, b.size());
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

std::vector<Message> streams_from_bytes(const uint8_t* data, size_t size) {
  if (data == nullptr || size < 2) throw MessageFormatError("streams_from_bytes: input too short");
  if (data[0] != kStreamsTag) throw MessageFormatError("streams_from_bytes: unknown tag");
  size_t pos = 1;
  const uint64_t k = get_varint(data, size, &pos);
  // Each stream takes at least 2 bytes (length + something), which bounds k by the input size.
  if (k > (size - pos) / 2 + 1) throw MessageFormatError("streams_from_bytes: stream count too large");
  std::vector<Message> streams;
  streams.reserve(static_cast<size_t>(k));
  for (uint64_t i = 0; i < k; ++i) {
    const uint64_t len = get_varint(data, size, &pos);
    if (len > size - pos) throw MessageFormatError("streams_from_bytes: truncated stream");
    streams.push_back(Message::from_bytes(data + pos, static_cast<size_t>(len)));
    pos += static_cast<size_t>(len);
  }
  if (pos != size) throw MessageFormatError("streams_from_bytes: trailing bytes");
  return streams;
}

double streams_bits(const std::vector<Message>& streams) {
  double b = 0;
  for (const Message& m : streams) b += m.bits();
  return b;
}

}  // namespace lbb
