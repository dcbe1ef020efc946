// libFuzzer target: the whole decoder — parse_container, then decompress_items with a real
// model (tests/data/fuzz_model.lbbm: a tiny flow on 8×8 grey tiles and its direct model), so
// the streams, tile modes, direct coders, palettes, bits-back flow coder and CRC checks all see
// untrusted bytes.  The first input byte picks a mode:
//   0: decode the rest as a file, as is;
//   1: the same after overwriting its last 4 bytes with the right whole-file CRC-32, so that
//      the fuzzer gets past the CRC into the header fields and the streams;
//   2: build images from the rest (grey 8×8 images the flow codes, odd sizes, grey+alpha, RGB,
//      RGBA, few-colour images that become palettes), compress them with the model, require
//      that they decode back exactly, then damage one stream's content (bytes overwritten or a
//      bit flipped at an input-chosen place), fix its CRC-32C and the file's, and decode again.
// Checks, besides ASan/UBSan/LeakSanitizer: nothing but InputError escapes, its message is one
// line starting with the file's name; whatever decodes without an error has the stored CRC
// (decompress_items checks it) and, in mode 2, is exactly the images that were compressed.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ans/message.h"
#include "coding/compression.h"
#include "format/container.h"
#include "fuzz_input.h"
#include "io/errors.h"

#ifndef LBB_FUZZ_MODEL
#error "LBB_FUZZ_MODEL must name the model file (cmake/coding.cmake)"
#endif

namespace {

using namespace lbb;

using fuzz::check;

const CodingModel& model() {
  static const CodingModel m = load_coding_model(LBB_FUZZ_MODEL);
  return m;
}

using fuzz::Reader;

// Parses and decodes; returns true and the images if both succeed.  Only InputError may escape
// either, with a one-line message naming the file.
bool try_decode(const std::vector<uint8_t>& bytes, std::vector<ImageItem>* out) {
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

// Images chosen by the input: a few entries of small sizes and every layout.
std::vector<ImageItem> make_items(Reader& in) {
  std::vector<ImageItem> items;
  const int entries = 1 + in.byte() % 3;
  for (int e = 0; e < entries; ++e) {
    ImageItem item;
    const bool idx = in.byte() % 4 == 0;
    item.name = "i" + std::to_string(e) + (idx ? ".idx" : ".png");
    if (idx) {  // the flow's shape: several 8×8 grey images in one IDX entry
      item.format = ImageFormat::kIdx;
      item.channels = 1, item.h = 8, item.w = 8, item.count = 1 + in.byte() % 4;
    } else {
      item.channels = 1 + in.byte() % 4;
      item.h = 1 + in.byte() % 19, item.w = 1 + in.byte() % 19;
    }
    const int levels = 1 + in.byte();  // few levels: constant tiles and palettes
    item.pixels.resize(size_t{item.count} * item.channels * item.h * item.w);
    for (auto& v : item.pixels) v = static_cast<uint8_t>((in.n ? in.byte() : v * 7 + 3) % levels);
    items.push_back(std::move(item));
  }
  return items;
}

void fuzz_valid_then_damaged(Reader& in) {
  const std::vector<ImageItem> items = make_items(in);
  CompressOptions opt;
  opt.streams = 1 + in.byte() % 3;
  opt.threads = 1;
  opt.prefer_flow = in.byte() & 1;
  CompressReport report;
  const Container c = compress_items(model(), items, opt, &report);
  std::vector<uint8_t> bytes = serialize_container(c);
  std::vector<ImageItem> decoded;
  check(try_decode(bytes, &decoded));
  check(decoded.size() == items.size());
  for (size_t i = 0; i < items.size(); ++i) check(decoded[i].pixels == items[i].pixels);

  // Damage one stream's content (its head or words: bytes overwritten or one bit flipped) and
  // fix its CRC-32C, so that the damage reaches the decoder rather than Message::from_bytes.
  if (c.streams.empty()) return;
  Container damaged = c;
  std::vector<uint8_t>& stream = damaged.streams[in.byte() % damaged.streams.size()];
  constexpr size_t kTagBytes = 1, kCrcBytes = 4;
  if (stream.size() <= kTagBytes + kCrcBytes) return;
  const size_t content = stream.size() - kTagBytes - kCrcBytes;
  const uint8_t how = in.byte();
  const size_t at = kTagBytes + (size_t{in.byte()} << 8 | in.byte()) % content;
  if (how & 1) {
    stream[at] ^= static_cast<uint8_t>(1u << (how >> 1 & 7));
  } else {
    for (size_t k = at; k < kTagBytes + content && in.n; ++k) stream[k] = in.byte();
  }
  const uint32_t crc = crc32c(stream.data(), stream.size() - kCrcBytes);
  for (size_t i = 0; i < kCrcBytes; ++i) stream[stream.size() - kCrcBytes + i] = static_cast<uint8_t>(crc >> (8 * i));
  bytes = serialize_container(damaged);
  if (try_decode(bytes, &decoded)) {  // possible only if the damage kept every pixel
    check(decoded.size() == items.size());
    for (size_t i = 0; i < items.size(); ++i) check(decoded[i].pixels == items[i].pixels);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Reader in{data + 1, size - 1};
  std::vector<ImageItem> decoded;
  switch (data[0] % 3) {
    case 0:
      try_decode(std::vector<uint8_t>(data + 1, data + size), &decoded);
      break;
    case 1: {
      std::vector<uint8_t> bytes(data + 1, data + size);
      fuzz::fix_file_crc(&bytes);
      try_decode(bytes, &decoded);
      break;
    }
    default:
      fuzz_valid_then_damaged(in);
  }
  return 0;
}
