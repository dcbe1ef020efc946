// What fuzz_decompress and fuzz_roundtrip share: the tiny committed model they decode with
// (tests/data/fuzz_model.lbbm: a flow on 8×8 grey tiles with every kind of layer, and its direct
// model), a decode that lets only one-line InputErrors out, and the stream CRC fix-up that lets
// damaged stream content past Message::from_bytes into the decoders.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ans/message.h"
#include "coding/compression.h"
#include "common/crc.h"
#include "common/errors.h"
#include "format/container.h"
#include "fuzz_input.h"

#ifndef LBB_FUZZ_MODEL
#error "LBB_FUZZ_MODEL must name the model file (cmake/coding.cmake)"
#endif

namespace lbb::fuzz {

inline const CodingModel& model() {
  static const CodingModel m = load_coding_model(LBB_FUZZ_MODEL);
  return m;
}

// Parses and decodes; returns true and the images if both succeed.  Only InputError may escape
// either, with a one-line message naming the file.
inline bool try_decode(const std::vector<uint8_t>& bytes, std::vector<ImageItem>* out) {
  try {
    const Container c = parse_container(bytes, "in");
    *out = decompress_items(model(), c, 1, "in");
  } catch (const InputError& e) {
    const std::string m = e.what();
    check(m.rfind("in: ", 0) == 0 && m.size() > 4 && m.find('\n') == std::string::npos);
    return false;
  }
  return true;
}

// A stream is [tag byte][content][CRC-32C of tag and content, little-endian]: recompute the CRC.
inline void fix_stream_crc(std::vector<uint8_t>* stream) {
  constexpr size_t kCrcBytes = 4;
  if (stream->size() < 1 + kCrcBytes) return;
  const uint32_t crc = crc32c(stream->data(), stream->size() - kCrcBytes);
  for (size_t i = 0; i < kCrcBytes; ++i) (*stream)[stream->size() - kCrcBytes + i] = static_cast<uint8_t>(crc >> (8 * i));
}

}  // namespace lbb::fuzz
