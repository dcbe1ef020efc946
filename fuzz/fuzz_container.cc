// libFuzzer target: parse_container on untrusted bytes.  The first input byte picks a mode:
//   0: parse the rest as is;
//   1: parse the rest after overwriting its last 4 bytes with the right whole-file CRC-32, so the
//      fuzzer gets past the CRC and exercises the structural checks;
//   2: build a valid Container from the rest (0..4 image entries of any channel count, small
//      dimensions or one long side, tiles of any size, 0..8 streams padded to the size bounds),
//      serialize it, and require that it parses back equal, that a truncation at an input-chosen
//      point is rejected as "truncated", that a single bit flip at an input-chosen point is
//      rejected, and that breaking one invariant makes check_container throw.
// Checks, besides ASan/UBSan: parse_container throws nothing but InputError, whose message is one
// line starting with the name; an accepted file re-serialises to exactly the same bytes (so
// check_container accepts everything parse_container accepts).
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/crc.h"
#include "common/errors.h"
#include "format/container.h"
#include "fuzz_input.h"

namespace {

using namespace lbb;

using fuzz::check;

// Parses; returns true on success.  Only InputError may escape parse_container.
bool try_parse(const std::vector<uint8_t>& bytes, Container* out, std::string* error) {
  try {
    *out = parse_container(bytes, "in");
  } catch (const InputError& e) {
    const std::string m = e.what();
    check(m.rfind("in: ", 0) == 0 && m.size() > 4 && m.find('\n') == std::string::npos);
    if (error) *error = m;
    return false;
  }
  check(serialize_container(*out) == bytes);  // canonical: accepted bytes are what we'd write
  return true;
}

using fuzz::Reader;

// A random ContainerImage that satisfies check_container's invariants: small dimensions (or one
// long side), tiles of any size up to 256×256 (coarsened, and the long side shortened, when
// they would be too many), count up to 64 for IDX.
ContainerImage random_image(Reader& in) {
  ContainerImage e;
  const size_t len = in.byte() % 32 == 0 ? kMaxNameBytes : 1 + in.byte() % 12;
  e.name.resize(len);
  for (auto& ch : e.name) ch = static_cast<char>(in.byte());
  e.format = in.byte() % 3;
  e.channels = in.byte() % kMaxChannels + 1;
  if (in.byte() % 8 == 0) {
    e.h = in.u32() % kMaxImageSide + 1;  // one long side
    e.w = in.byte() % 4 + 1;
  } else {
    e.h = in.byte() % 64 + 1;
    e.w = in.byte() % 64 + 1;
  }
  e.count = e.format == 2 ? in.byte() % 64 + 1 : (in.byte() % 8 == 0 ? 2 : 1);
  const auto side = [&](uint32_t n) { return std::min(in.u32() % n + 1, kMaxTileSide); };
  e.tile_h = side(e.h);
  e.tile_w = side(e.w);
  e.tile_channels = e.colour_channels() == 3 && in.byte() % 2 ? 3 : 1;
  if (e.has_alpha()) {
    e.alpha_tile_h = side(e.h);
    e.alpha_tile_w = side(e.w);
  }
  e.flow = in.byte() % 2;
  if (e.tiles() > 4096) {  // keep the tile count (and the stream bytes it needs) small
    e.tile_h = std::min(e.h, kMaxTileSide);
    e.tile_w = std::min(e.w, kMaxTileSide);
    if (e.has_alpha()) {
      e.alpha_tile_h = e.tile_h;
      e.alpha_tile_w = e.tile_w;
    }
    while (e.tiles() > 4096) {  // tiles are at most 256×256: shorten the long side
      e.h = std::max(1u, e.h / 2);
      e.tile_h = std::min(e.tile_h, e.h);
      if (e.has_alpha()) e.alpha_tile_h = std::min(e.alpha_tile_h, e.h);
    }
  }
  return e;
}

void structured(Reader in) {
  Container c;
  ContainerHeader& h = c.header;
  h.model_id = in.u32();
  h.precision_bits = in.byte() % (kMaxPrecisionBits + 1);
  h.flags = in.u32() >> (in.byte() % 32);
  double sigma;
  const uint64_t bits = in.u64();
  std::memcpy(&sigma, &bits, sizeof sigma);
  if (!(sigma > 0 && sigma <= 1e308)) sigma = std::ldexp(1.0, -(in.byte() % 64));
  h.sigma = sigma;
  const size_t m = in.byte() % 5;
  for (size_t i = 0; i < m; ++i) c.images.push_back(random_image(in));
  const uint64_t tiles = c.total_tiles();
  check(tiles <= 4 * 4096);
  const size_t s = tiles == 0 ? in.byte() % 3 : in.byte() % 8 + 1;
  uint64_t left = tiles;
  size_t payload = 0;
  for (size_t i = 0; i < s; ++i) {
    const uint64_t k = i + 1 == s ? left : (left == 0 ? 0 : in.u32() % (left + 1));
    c.stream_tiles.push_back(k);
    left -= k;
    const size_t len = in.byte() % 64 == 0 ? in.u32() % 5000 : in.byte() % 40;
    std::vector<uint8_t> stream(len);
    for (auto& b : stream) b = in.byte();
    payload += len;
    c.streams.push_back(std::move(stream));
  }
  // The size bounds: pad the last stream until the streams alone are long enough for the
  // declared subpixels and tiles (the header only adds to the file's length).
  const uint64_t subpixels = c.total_subpixels();
  uint64_t need = 0;
  if (subpixels > kSubpixelSlack) need = (subpixels - kSubpixelSlack + kSubpixelsPerByte - 1) / kSubpixelsPerByte;
  if (tiles > kTileSlack) need = std::max(need, (tiles - kTileSlack + kTilesPerByte - 1) / kTilesPerByte);
  if (need > payload) {
    c.streams.back().resize(c.streams.back().size() + (need - payload), 0x5A);
    payload = need;
  }
  c.images_crc32 = in.u32();
  check_container(c);  // must hold by construction (throws std::invalid_argument otherwise)
  const std::vector<uint8_t> bytes = serialize_container(c);
  check(bytes.size() == container_overhead(c) + payload);
  Container back;
  check(try_parse(bytes, &back, nullptr) && back == c);
  check(back.total_tiles() == tiles && back.total_subpixels() == subpixels);

  std::string error;
  const size_t cut = in.u32() % bytes.size();
  check(!try_parse(std::vector<uint8_t>(bytes.begin(), bytes.begin() + cut), &back, &error));
  check(error.find(cut == 0 ? "empty" : "truncated") != std::string::npos);

  std::vector<uint8_t> flipped = bytes;
  const uint32_t where = in.u32();
  flipped[where % bytes.size()] ^= static_cast<uint8_t>(1u << (where >> 29));
  check(!try_parse(flipped, &back, &error));

  // An invariant broken in one input-chosen way must be refused by the writer.
  if (!c.images.empty()) {
    Container bad = c;
    ContainerImage& e = bad.images[in.byte() % bad.images.size()];
    switch (in.byte() % 6) {
      case 0: e.tile_h = e.h + 1; break;
      case 1: e.format = 3; break;
      case 2: e.tile_channels = 2; break;
      case 3: e.alpha_tile_w = e.has_alpha() ? e.w + 1 : 1; break;
      case 4: e.name.clear(); break;
      default: bad.stream_tiles.back() += 1; break;
    }
    bool refused = false;
    try {
      check_container(bad);
    } catch (const std::invalid_argument&) {
      refused = true;
    }
    check(refused);
  }

  // crc32 continues a CRC: crc(a‖b) = crc32(b, crc(a)).
  const size_t split = in.byte() % (bytes.size() + 1);
  check(crc32(bytes.data() + split, bytes.size() - split, crc32(bytes.data(), split)) ==
        crc32(bytes.data(), bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  std::vector<uint8_t> bytes(data + 1, data + size);
  Container c;
  switch (mode) {
    case 0:
      try_parse(bytes, &c, nullptr);
      break;
    case 1:
      if (bytes.size() >= 8) fuzz::fix_file_crc(&bytes);
      try_parse(bytes, &c, nullptr);
      break;
    case 2:
      structured(Reader{data + 1, size - 1});
      break;
  }
  return 0;
}
