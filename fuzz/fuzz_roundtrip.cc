// libFuzzer target: the encoder and decoder together. The input makes images (grey 8×8 images
// the flow codes, odd sizes, grey+alpha, RGB, RGBA, few-colour images that become palettes);
// they are compressed with the tiny model (fuzz_decoder.h) and must decode back exactly; then
// one stream's content is damaged (bytes overwritten or a bit flipped at an input-chosen place),
// its CRC-32C and the file's are fixed, and the file is decoded again: an error (one line,
// InputError) or exactly the same images. Each run encodes (trial flow encodes included), so
// it is slow (a few hundred runs/s); fuzz_decompress.cc fuzzes the decoder alone, far faster.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_decoder.h"

namespace {

using namespace lbb;

using fuzz::check;
using fuzz::model;
using fuzz::Reader;
using fuzz::try_decode;

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
  const uint8_t flags = in.byte();  // bit 0 prefer the flow, 1 float32 networks, 2 float32 activations
  opt.prefer_flow = flags & 1;
  opt.float32_networks = flags & 2;
  opt.float32_activations = opt.float32_networks && (flags & 4);
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
  fuzz::fix_stream_crc(&stream);
  bytes = serialize_container(damaged);
  if (try_decode(bytes, &decoded)) {  // possible only if the damage kept every pixel
    check(decoded.size() == items.size());
    for (size_t i = 0; i < items.size(); ++i) check(decoded[i].pixels == items[i].pixels);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  fuzz_valid_then_damaged(in);
  return 0;
}
