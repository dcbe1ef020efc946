// The .lbb container (versions 3 and 4, one layout): round trips, the exact byte layout (against an independent
// hand-written encoder), tile arithmetic, rejection of every truncation and every single-bit flip
// with a specific one-line message, structural checks on files whose CRC holds (including hostile
// headers that must be rejected at once and without allocating), caller checks
// (check_container, model, flags, images CRC) and atomic writes.
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include "common/crc.h"
#include "common/errors.h"
#include "format/container.h"
#include "io/container_file.h"
#include "io_test_util.h"

// --- allocation accounting: every operator new of this test binary goes through here ---
namespace {
std::atomic<size_t> g_allocated{0};  // bytes requested since the last reset
void* counted_alloc(size_t n) {
  g_allocated += n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace
void* operator new(size_t n) { return counted_alloc(n); }
void* operator new[](size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace lbb {
namespace {

using test::expect_input_error;
using test::TempDir;

std::vector<uint8_t> pattern_bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = 0x9E3779B9u * (seed + 1u);
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<uint8_t>(x >> 24);
  }
  return v;
}

ContainerImage entry(std::string name, uint8_t format, uint32_t channels, uint32_t h, uint32_t w,
                     uint32_t count, uint32_t tile_h, uint32_t tile_w, uint32_t tile_channels,
                     uint32_t alpha_tile_h = 0, uint32_t alpha_tile_w = 0, bool flow = false) {
  ContainerImage e;
  e.name = std::move(name);
  e.format = format;
  e.channels = channels;
  e.h = h;
  e.w = w;
  e.count = count;
  e.tile_h = tile_h;
  e.tile_w = tile_w;
  e.tile_channels = tile_channels;
  e.alpha_tile_h = alpha_tile_h;
  e.alpha_tile_w = alpha_tile_w;
  e.flow = flow;
  return e;
}

// One 28×28 grey PNG, one tile, one stream.
Container single_image(size_t stream_bytes) {
  Container c;
  c.header.model_id = 0xA1B2C3D4u;
  c.header.precision_bits = 32;
  c.header.sigma = std::ldexp(1.0, -14);
  c.header.flags = 0;
  c.images = {entry("a.png", 0, 1, 28, 28, 1, 28, 28, 1)};
  c.streams = {pattern_bytes(stream_bytes, 1)};
  c.stream_tiles = {1};
  const std::vector<uint8_t> pixels = pattern_bytes(784, 2);
  c.images_crc32 = crc32(pixels.data(), pixels.size());
  return c;
}

// Four entries of every format, channel counts 1..4, edge tiles, an IDX entry of 10 images,
// four streams (one empty, one with no tiles).
Container multi_stream(size_t big_stream = 300) {
  Container c;
  c.header.model_id = 7;
  c.header.precision_bits = 63;
  c.header.sigma = 0.001;  // not a power of two: the long sigma code
  c.header.flags = 0xFFFFFFFFu;
  c.images = {
      entry("digits.idx", 2, 1, 28, 28, 10, 28, 28, 1),             // 10 tiles
      entry("photos/cat.png", 0, 4, 29, 31, 1, 28, 28, 1, 16, 16),  // 3·2·2 + 2·2 = 16 tiles
      entry("g.pam", 1, 2, 5, 7, 1, 5, 7, 1, 5, 7, true),           // 1 + 1 = 2 tiles
      entry("rgb.ppm", 1, 3, 8, 8, 1, 8, 8, 3, 0, 0, true),         // 1 tile
  };
  c.streams = {pattern_bytes(5, 3), {}, pattern_bytes(big_stream, 4), pattern_bytes(1, 5)};
  c.stream_tiles = {10, 0, 16, 3};
  c.images_crc32 = 0xDEADBEEFu;
  return c;
}

std::string message_of(const std::vector<uint8_t>& bytes) {
  try {
    parse_container(bytes, "f.lbb");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// --- a hand-written encoder for crafted files (independent of the code under test) ---
void varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}
void u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint32_t zcrc(const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc32_z(0, Z_NULL, 0), p, n));
}
// Appends the whole-file CRC, so that only the structure of `body` is under test.
std::vector<uint8_t> sealed(std::vector<uint8_t> body) {
  u32(body, zcrc(body.data(), body.size()));
  return body;
}

struct CraftedEntry {
  std::string name = "a";
  uint64_t name_len = UINT64_MAX;  // UINT64_MAX: name.size()
  uint64_t format = 0, channels = 1, h = 4, w = 4, count = 1, tile_h = 4, tile_w = 4, tile_channels = 1;
  uint64_t alpha_tile_h = 4, alpha_tile_w = 4;  // written only if channels is 2 or 4
  uint64_t flow = 0;
  uint64_t shared = UINT64_MAX;  // name bytes shared with the previous entry; UINT64_MAX: the longest
  int kind = -1;                 // 1: same fields as the previous entry (none follow); -1: 1 if they are
  std::vector<uint8_t> palette;  // P × colour planes bytes
  bool same_fields(const CraftedEntry& q) const {
    return format == q.format && channels == q.channels && h == q.h && w == q.w && count == q.count &&
           tile_h == q.tile_h && tile_w == q.tile_w && tile_channels == q.tile_channels &&
           alpha_tile_h == q.alpha_tile_h && alpha_tile_w == q.alpha_tile_w && flow == q.flow && palette == q.palette;
  }
};

struct Crafted {
  uint32_t model_id = 0x01020304u;
  uint64_t coding = 32;
  uint64_t sigma_code = 14;
  uint64_t m = UINT64_MAX;  // UINT64_MAX: entries.size()
  std::vector<CraftedEntry> entries = {CraftedEntry{}};
  uint64_t s = 1;
  std::vector<uint64_t> counts;         // S-1 entries
  std::vector<uint64_t> lengths = {3};  // S entries
  size_t payload = 3;
  std::vector<uint8_t> body() const {
    std::vector<uint8_t> out = {'L', 'B', 'B', kContainerVersion};
    u32(out, model_id);
    varint(out, coding);
    varint(out, sigma_code);
    varint(out, m == UINT64_MAX ? entries.size() : m);
    for (size_t i = 0; i < entries.size(); ++i) {
      const CraftedEntry& e = entries[i];
      // Front coding: e.name is the whole name; the part shared with the previous one is skipped.
      const std::string prev = i > 0 ? entries[i - 1].name : "";
      uint64_t shared = 0;
      while (shared < prev.size() && shared < e.name.size() && prev[shared] == e.name[shared]) ++shared;
      if (e.shared != UINT64_MAX) shared = e.shared;
      const std::string rest = e.name.substr(std::min<size_t>(shared, e.name.size()));
      varint(out, shared);
      varint(out, e.name_len == UINT64_MAX ? rest.size() : e.name_len);
      out.insert(out.end(), rest.begin(), rest.end());
      const int kind = e.kind >= 0 ? e.kind : (i > 0 && e.same_fields(entries[i - 1]) ? 1 : 0);
      out.push_back(static_cast<uint8_t>(kind));
      if (kind == 1) continue;
      out.push_back(static_cast<uint8_t>(e.format));
      varint(out, e.channels);
      varint(out, e.palette.size() / std::max<uint64_t>(1, e.channels == 2 || e.channels == 4 ? e.channels - 1 : e.channels));
      out.insert(out.end(), e.palette.begin(), e.palette.end());
      for (uint64_t v : {e.h, e.w, e.count, e.tile_h, e.tile_w, e.tile_channels}) varint(out, v);
      if (e.channels == 2 || e.channels == 4) {
        varint(out, e.alpha_tile_h);
        varint(out, e.alpha_tile_w);
      }
      out.push_back(static_cast<uint8_t>(e.flow));
    }
    varint(out, s);
    for (uint64_t k : counts) varint(out, k);
    for (uint64_t len : lengths) varint(out, len);
    u32(out, 0x55555555u);
    out.insert(out.end(), payload, 0xAB);
    return out;
  }
  std::vector<uint8_t> bytes() const { return sealed(body()); }
  // One stream whose payload makes the file exactly `size` bytes (size < ~130 + header).
  Crafted& sized(size_t size) {
    s = 1;
    counts = {};
    lengths = {0};
    payload = 0;
    const size_t without = bytes().size();
    EXPECT_LE(without, size);
    payload = size - without;
    lengths = {payload};
    EXPECT_EQ(bytes().size(), size);
    return *this;
  }
};

// The independent encoding of a Container, to pin serialize_container's layout.
std::vector<uint8_t> hand_encoded(const Container& c) {
  Crafted f;
  f.model_id = c.header.model_id;
  f.coding = c.header.precision_bits | uint64_t{c.header.flags} << 6;
  f.sigma_code = sigma_code(c.header.sigma);
  f.entries.clear();
  for (size_t i = 0; i < c.images.size(); ++i) {
    const ContainerImage& e = c.images[i];
    CraftedEntry x;  // longest shared prefix and kind 1 where it applies: body()'s defaults
    x.name = e.name;
    x.palette = e.palette;
    x.format = e.format;
    x.channels = e.channels;
    x.h = e.h;
    x.w = e.w;
    x.count = e.count;
    x.tile_h = e.tile_h;
    x.tile_w = e.tile_w;
    x.tile_channels = e.tile_channels;
    x.alpha_tile_h = e.alpha_tile_h;
    x.alpha_tile_w = e.alpha_tile_w;
    x.flow = e.flow;
    f.entries.push_back(x);
  }
  f.s = c.streams.size();
  f.counts.assign(c.stream_tiles.begin(), c.stream_tiles.end() - (c.stream_tiles.empty() ? 0 : 1));
  f.lengths.clear();
  for (const auto& s : c.streams) f.lengths.push_back(s.size());
  f.payload = 0;
  std::vector<uint8_t> out = f.body();
  out.erase(out.end() - 4, out.end());
  u32(out, c.images_crc32);
  for (const auto& s : c.streams) out.insert(out.end(), s.begin(), s.end());
  return sealed(out);
}

// Parses a hostile file: must throw a one-line InputError containing `part`, fast and allocating
// little (the header's counts must be checked against the bytes before anything is sized).
void expect_hostile(const std::vector<uint8_t>& bytes, const std::string& part) {
  const auto start = std::chrono::steady_clock::now();
  g_allocated = 0;
  expect_input_error([&] { parse_container(bytes, "h.lbb"); }, {"h.lbb: " + part});
  const size_t allocated = g_allocated;  // includes the message and expect_input_error's own
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 0.1) << part;
  EXPECT_LT(allocated, 64 * 1024 + 256 * bytes.size()) << part;
}

// --- round trips ---

TEST(FormatContainer, RoundTripSingleImage) {
  const Container c = single_image(350);
  const std::vector<uint8_t> bytes = serialize_container(c);
  const Container back = parse_container(bytes, "x");
  EXPECT_TRUE(back == c);
  EXPECT_EQ(back.header.sigma, std::ldexp(1.0, -14));
  EXPECT_EQ(serialize_container(back), bytes);
  EXPECT_EQ(bytes, hand_encoded(c));
}

TEST(FormatContainer, OlderVersionKeepsItsVersion) {
  // Versions 3 and 4 share the layout (they differ in how tiles are coded): a version-3
  // file parses as version 3 and serializes to the same bytes.
  Container c = single_image(40);
  c.header.version = 3;
  const std::vector<uint8_t> bytes = serialize_container(c);
  EXPECT_EQ(bytes[3], 3);
  const Container back = parse_container(bytes, "old");
  EXPECT_EQ(back.header.version, 3);
  EXPECT_EQ(serialize_container(back), bytes);
}

TEST(FormatContainer, RoundTripSeveralEntriesAndStreams) {
  const Container c = multi_stream();
  const std::vector<uint8_t> bytes = serialize_container(c);
  EXPECT_EQ(bytes, hand_encoded(c));
  const Container back = parse_container(bytes, "x");
  EXPECT_TRUE(back == c);
  ASSERT_EQ(back.images.size(), 4u);
  EXPECT_EQ(back.images[0].count, 10u);
  EXPECT_EQ(back.images[0].format, 2);
  EXPECT_EQ(back.images[1].name, "photos/cat.png");
  EXPECT_EQ(back.images[1].alpha_tile_w, 16u);
  EXPECT_TRUE(back.images[2].flow);
  EXPECT_EQ(back.stream_tiles, (std::vector<uint64_t>{10, 0, 16, 3}));
  EXPECT_EQ(back.streams[1].size(), 0u);
  EXPECT_EQ(back.header.flags, 0xFFFFFFFFu);
  EXPECT_EQ(back.header.precision_bits, 63);
  EXPECT_EQ(back.header.sigma, 0.001);
  EXPECT_EQ(back.total_tiles(), 29u);
  EXPECT_EQ(back.total_subpixels(), 10u * 784 + 4 * 29 * 31 + 2 * 35 + 3 * 64);
  EXPECT_EQ(serialize_container(back), bytes);

  // Every stream empty; no images and no streams; no images and two streams of no tiles.
  Container empty = c;
  for (auto& s : empty.streams) s.clear();
  EXPECT_TRUE(parse_container(serialize_container(empty), "x") == empty);
  Container none;
  EXPECT_TRUE(parse_container(serialize_container(none), "x") == none);
  EXPECT_EQ(serialize_container(none).size(), 4 + 4 + 1 + 1 + 1 + 1 + 4 + 4u);
  none.streams = {{}, pattern_bytes(3, 1)};
  none.stream_tiles = {0, 0};
  EXPECT_TRUE(parse_container(serialize_container(none), "x") == none);
}

TEST(FormatContainer, EveryChannelCount) {
  // The alpha tile fields are written only for 2 and 4 channels.
  size_t size_without_alpha = 0;
  for (uint32_t ch = 1; ch <= 4; ++ch) {
    Container c = single_image(20);
    ContainerImage& e = c.images[0];
    e.channels = ch;
    e.tile_channels = e.colour_channels();
    if (e.has_alpha()) e.alpha_tile_h = e.alpha_tile_w = 14;
    EXPECT_EQ(e.has_alpha(), ch % 2 == 0);
    EXPECT_EQ(e.colour_channels(), ch >= 3 ? 3u : 1u);
    c.stream_tiles = {e.tiles()};
    const std::vector<uint8_t> bytes = serialize_container(c);
    EXPECT_EQ(bytes, hand_encoded(c)) << ch;
    const Container back = parse_container(bytes, "x");
    EXPECT_TRUE(back == c) << ch;
    EXPECT_EQ(serialize_container(back), bytes);
    if (ch == 1) size_without_alpha = bytes.size();
    EXPECT_EQ(bytes.size(), size_without_alpha + (e.has_alpha() ? 2 : 0)) << ch;
    EXPECT_EQ(e.tiles_per_image(), 1u + (e.has_alpha() ? 4u : 0u)) << ch;
  }
}

TEST(FormatContainer, Names) {
  Container c = single_image(10);
  for (const std::string& name : {std::string("x"), std::string(kMaxNameBytes, 'n'),
                                  std::string("dir/sub dir/\xc3\xa9t\xc3\xa9.png")}) {
    c.images[0].name = name;
    const std::vector<uint8_t> bytes = serialize_container(c);
    EXPECT_EQ(bytes, hand_encoded(c));
    const Container back = parse_container(bytes, "x");
    EXPECT_EQ(back.images[0].name, name);
    EXPECT_TRUE(back == c);
  }
  c.images[0].name = std::string(kMaxNameBytes + 1, 'n');
  EXPECT_THROW(serialize_container(c), std::invalid_argument);
  c.images[0].name = "";
  EXPECT_THROW(serialize_container(c), std::invalid_argument);
}

TEST(FormatContainer, RoundTripExtremes) {
  Container c;
  // 2^20 × 2^14 grey (2^34 subpixels, the bound) in 2^18 tiles of 256×256 needs 2^21 stream
  // bytes for the size bound.
  c.images = {entry("big", 0, 1, kMaxImageSide, 1u << 14, 1, kMaxTileSide, kMaxTileSide, 1)};
  c.header.precision_bits = 0;
  c.header.sigma = std::numeric_limits<double>::denorm_min();
  c.header.model_id = 0xFFFFFFFFu;
  c.streams = {pattern_bytes(1u << 21, 9)};
  c.stream_tiles = {uint64_t{1} << 18};
  EXPECT_EQ(c.total_subpixels(), kMaxSubpixels);
  EXPECT_TRUE(parse_container(serialize_container(c), "x") == c);
  c.header.sigma = std::numeric_limits<double>::max();
  EXPECT_TRUE(parse_container(serialize_container(c), "x") == c);
  // One subpixel more is refused by the writer.
  c.images.push_back(entry("one", 0, 1, 1, 1, 1, 1, 1, 1));
  c.stream_tiles = {(uint64_t{1} << 18) + 1};
  EXPECT_THROW(serialize_container(c), std::invalid_argument);
  // Many streams, many entries.
  Container m;
  for (int i = 0; i < 300; ++i) {
    m.images.push_back(entry("i" + std::to_string(i), static_cast<uint8_t>(i % 3), 1 + i % 4, 3, 2,
                             1 + i % 5, 2, 2, 1, i % 2 ? 3 : 0, i % 2 ? 1 : 0, i % 7 == 0));
    m.streams.push_back(pattern_bytes(i % 9, static_cast<uint8_t>(i)));
    m.stream_tiles.push_back(m.images.back().tiles());
  }
  const std::vector<uint8_t> bytes = serialize_container(m);
  EXPECT_EQ(bytes, hand_encoded(m));
  EXPECT_TRUE(parse_container(bytes, "x") == m);
}

TEST(FormatContainer, SigmaCode) {
  for (int e = 1; e <= 127; ++e) EXPECT_EQ(sigma_code(std::ldexp(1.0, -e)), uint64_t(e)) << e;
  EXPECT_EQ(sigma_code(1.0), 0u);
  for (double d : {0.001, 1e-300, 3.5, 1e300, -2.0, 0.0}) {
    EXPECT_EQ(sigma_from_code(sigma_code(d)), d);
  }
}

TEST(FormatContainer, ImagesCrcIsStandardCrc32) {
  const auto* check = reinterpret_cast<const uint8_t*>("123456789");
  EXPECT_EQ(crc32(check, 9), 0xCBF43926u);
  EXPECT_EQ(crc32(nullptr, 0), 0u);
  // Continuing a CRC: crc(a‖b) = update(crc(a), b), from 0 for nothing.
  for (size_t cut = 0; cut <= 9; ++cut) {
    EXPECT_EQ(crc32(check + cut, 9 - cut, crc32(check, cut)), 0xCBF43926u) << cut;
  }
  EXPECT_EQ(crc32(check, 9, 0), 0xCBF43926u);
  EXPECT_EQ(hex32(0xCBF43926u), "cbf43926");
  EXPECT_EQ(hex32(0), "00000000");
  EXPECT_EQ(hex32(0xABu), "000000ab");
}

// --- tiles ---

TEST(FormatContainer, TilesPerImage) {
  // 29×31 cut into 28×28: 2×2 tiles (three of them edge tiles) per tile_channels group.
  ContainerImage e = entry("t", 0, 3, 29, 31, 1, 28, 28, 1);
  EXPECT_EQ(e.colour_tiles_per_image(), 12u);  // 3 planes × 4
  EXPECT_EQ(e.tiles_per_image(), 12u);
  e.tile_channels = 3;
  EXPECT_EQ(e.tiles_per_image(), 4u);
  e = entry("t", 0, 4, 29, 31, 1, 28, 28, 1, 28, 28);  // RGBA: + 4 alpha tiles
  EXPECT_EQ(e.colour_channels(), 3u);
  EXPECT_EQ(e.colour_tiles_per_image(), 12u);
  EXPECT_EQ(e.tiles_per_image(), 16u);
  e.alpha_tile_h = 29;
  e.alpha_tile_w = 31;  // the whole alpha plane in one tile
  EXPECT_EQ(e.tiles_per_image(), 13u);
  e.alpha_tile_h = 1;
  e.alpha_tile_w = 1;
  EXPECT_EQ(e.tiles_per_image(), 12u + 29 * 31);
  e = entry("t", 0, 2, 29, 31, 5, 28, 28, 1, 10, 31);  // grey+alpha, 5 images
  EXPECT_EQ(e.tiles_per_image(), 4u + 3);
  EXPECT_EQ(e.tiles(), 35u);
  EXPECT_EQ(e.subpixels(), 5u * 2 * 29 * 31);
  e = entry("t", 2, 1, 28, 28, 60000, 28, 28, 1);  // IDX: exact tiles
  EXPECT_EQ(e.tiles_per_image(), 1u);
  EXPECT_EQ(e.tiles(), 60000u);
  e = entry("t", 0, 3, 29, 31, 1, 1, 1, 3);
  EXPECT_EQ(e.tiles_per_image(), 29u * 31);
  e = entry("t", 0, 1, kMaxImageSide, kMaxImageSide, 1, 1, 1, 1);
  EXPECT_EQ(e.tiles_per_image(), uint64_t{1} << 40);
}

// --- size ---

TEST(FormatContainer, NamesAreFrontCodedAndRepeatedFieldsAreOneByte) {
  // 100 images of one shape in one directory: each entry after the first costs its distinct
  // name bytes ("7.png"), the two name varints and the kind byte.
  Container c;
  for (int i = 0; i < 100; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "photos/shoot_2026/img_%04d.png", i);
    c.images.push_back(entry(name, 0, 1, 28, 28, 1, 28, 28, 1, 0, 0, true));
  }
  c.images[50].h = 29;  // one entry of another shape: its fields are written out
  c.streams = {std::vector<uint8_t>(2000, 7)};
  c.stream_tiles = {c.total_tiles()};
  const std::vector<uint8_t> bytes = serialize_container(c);
  EXPECT_TRUE(parse_container(bytes, "n.lbb") == c);
  EXPECT_LT(container_overhead(c), 60 + 100 * 9) << "front coding and kind-1 entries (else ~4000 bytes)";
  // The same names written without the shared prefix (or with fields repeated) are rejected.
  Crafted f;
  f.entries = {CraftedEntry{}, CraftedEntry{}};
  f.entries[0].name = "dir/a.png";
  f.entries[1].name = "dir/b.png";
  f.lengths = {3};
  EXPECT_NO_THROW(parse_container(f.bytes(), "ok"));
  f.entries[1].shared = 0;
  expect_hostile(f.bytes(), "non-canonical name prefix of image 1");
  f.entries[1].shared = UINT64_MAX;
  f.entries[1].kind = 0;
  expect_hostile(f.bytes(), "non-canonical entry kind of image 1");
  f.entries[1].kind = -1;
  f.entries[0].kind = 1;
  expect_hostile(f.bytes(), "invalid entry kind 1 of image 0");
  f.entries[0].kind = -1;
  f.entries[1].shared = 10;  // longer than the previous name
  expect_hostile(f.bytes(), "absurd shared name prefix 10 (at most 9)");
}

TEST(FormatContainer, PalettesRoundTripAndAreChecked) {
  Container c;
  c.images.push_back(entry("pal.png", 0, 4, 30, 20, 1, 30, 20, 1, 30, 20));
  for (int k = 0; k < 3 * 200; ++k) c.images[0].palette.push_back(static_cast<uint8_t>(k));
  EXPECT_EQ(c.images[0].palette_size(), 200u);
  EXPECT_EQ(c.images[0].tiles_per_image(), 2u) << "one index tile and one alpha tile";
  c.streams = {std::vector<uint8_t>(50, 1)};
  c.stream_tiles = {2};
  EXPECT_TRUE(parse_container(serialize_container(c), "p.lbb") == c);
  Container bad = c;
  bad.images[0].palette.resize(3 * 257);
  EXPECT_THROW(check_container(bad), std::invalid_argument);
  bad.images[0].palette.resize(3 * 200 + 1);
  EXPECT_THROW(check_container(bad), std::invalid_argument);
  bad = c;
  bad.images[0].tile_channels = 3;  // the index plane is one plane
  EXPECT_THROW(check_container(bad), std::invalid_argument);
  // A palette size past the end of the file.
  Crafted f;
  f.entries[0].palette.assign(200, 9);
  std::vector<uint8_t> body = f.body();
  body.resize(30);
  expect_hostile(sealed(body), "truncated");
  f.entries[0].palette.assign(257, 9);
  expect_hostile(f.bytes(), "absurd palette size 257 (at most 256)");
}

TEST(FormatContainer, OneStreamOverheadIsSmall) {
  // magic+version 4, model id 4, coding 1, sigma 1, M 1, name 1+1+5, kind 1, format 1, channels 1,
  // palette size 1, h w count
  // 1+1+1, tile h w channels 1+1+1, flow 1, S 1, length 2, images CRC 4, file CRC 4.
  const Container c = single_image(350);
  const std::vector<uint8_t> bytes = serialize_container(c);
  EXPECT_EQ(bytes.size(), 350u + 40u);
  EXPECT_EQ(container_overhead(c), 40u);
  EXPECT_EQ(container_overhead(single_image(127)), 39u);
  EXPECT_EQ(container_overhead(multi_stream()), serialize_container(multi_stream()).size() - 306);
  // The exact layout, up to the payload.
  const std::vector<uint8_t> head(bytes.begin(), bytes.begin() + 32);
  const std::vector<uint8_t> want = {'L', 'B', 'B', 9, 0xD4, 0xC3, 0xB2, 0xA1, 32, 14, 1, 0, 5,    'a',  '.', 'p',
                                     'n', 'g', 0,   0, 1,    0,    28,   28,   1,  28, 28, 1, 0, 1, 0xDE, 0x02};
  EXPECT_EQ(head, want);
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) crc |= uint32_t{bytes[32 + i]} << (8 * i);
  EXPECT_EQ(crc, c.images_crc32);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 36, bytes.begin() + 36 + 350), c.streams[0]);
  EXPECT_EQ(bytes, sealed(std::vector<uint8_t>(bytes.begin(), bytes.end() - 4)));
}

// --- damage ---

TEST(FormatContainer, EveryTruncationIsRejectedAsTruncated) {
  // The third file declares more subpixels than a cut of it may (2^13·B + 2^22 for B bytes): a
  // cut must still be reported as truncated, not as absurd or corrupted.
  Container big;
  big.images = {entry("big.png", 0, 3, 1024, 2048, 1, 256, 256, 3)};
  big.streams = {pattern_bytes(600, 6)};
  big.stream_tiles = {32};
  for (const Container& c : {single_image(40), multi_stream(30), big}) {
    const std::vector<uint8_t> bytes = serialize_container(c);
    for (size_t len = 0; len < bytes.size(); ++len) {
      const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + len);
      const std::string m = message_of(cut);
      ASSERT_EQ(m.rfind("f.lbb: ", 0), 0u) << "length " << len << ": '" << m << "'";
      EXPECT_NE(m.find(len == 0 ? "empty" : "truncated"), std::string::npos)
          << "length " << len << ": " << m;
    }
  }
}

TEST(FormatContainer, EveryBitFlipIsRejected) {
  for (const Container& c : {single_image(40), multi_stream(30)}) {
    const std::vector<uint8_t> bytes = serialize_container(c);
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::vector<uint8_t> bad = bytes;
        bad[i] ^= static_cast<uint8_t>(1u << bit);
        const std::string m = message_of(bad);
        ASSERT_EQ(m.rfind("f.lbb: ", 0), 0u) << "byte " << i << " bit " << bit << ": '" << m << "'";
        EXPECT_EQ(m.find('\n'), std::string::npos);
        // Past the version byte, the damage is reported as such, not as a bad field.
        if (i >= 4) {
          EXPECT_TRUE(m.find("corrupted") != std::string::npos || m.find("truncated") != std::string::npos ||
                      m.find("trailing garbage") != std::string::npos)
              << "byte " << i << " bit " << bit << ": " << m;
        }
      }
    }
  }
  // A flip in the payload or a CRC is reported as corruption.
  std::vector<uint8_t> bytes = serialize_container(single_image(40));
  bytes[45] ^= 0x10;
  expect_input_error([&] { parse_container(bytes, "f.lbb"); }, {"f.lbb: corrupted (CRC-32 mismatch"});
  bytes = serialize_container(single_image(40));
  bytes.back() ^= 0x80;
  expect_input_error([&] { parse_container(bytes, "f.lbb"); }, {"f.lbb: corrupted (CRC-32 mismatch: stored "});
}

TEST(FormatContainer, BadMagicAndVersion) {
  const std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  expect_input_error([&] { parse_container(png, "a.png"); }, {"a.png: not an lbb file (bad magic)"});
  expect_input_error([&] { parse_container(std::vector<uint8_t>{'L', 'X'}, "s"); }, {"s: not an lbb file"});
  expect_input_error([&] { parse_container(std::vector<uint8_t>{'L', 'B'}, "s"); }, {"s: truncated"});
  expect_input_error([&] { parse_container(std::vector<uint8_t>{}, "e"); }, {"e: empty file"});
  static_assert(kOldestContainerVersion == 3 && kContainerVersion == 9);
  for (const uint8_t other : {uint8_t(2), uint8_t(10), uint8_t(1), uint8_t(255)}) {
    std::vector<uint8_t> bytes = serialize_container(single_image(10));
    bytes[3] = other;
    const std::string want = "other.lbb: unsupported lbb container version " + std::to_string(other) +
                             " (this build reads versions 3 to 9)";
    expect_input_error([&] { parse_container(sealed({bytes.begin(), bytes.end() - 4}), "other.lbb"); }, {want});
    expect_input_error([&] { parse_container(bytes, "other.lbb"); }, {want});  // CRC broken too
  }
}

TEST(FormatContainer, TrailingGarbage) {
  std::vector<uint8_t> bytes = serialize_container(multi_stream());
  bytes.insert(bytes.end(), {1, 2, 3});
  expect_input_error([&] { parse_container(bytes, "t"); },
                     {"t: trailing garbage (3 bytes after the end of the container)"});
  // A whole second container appended.
  bytes = serialize_container(single_image(10));
  const std::vector<uint8_t> again = bytes;
  bytes.insert(bytes.end(), again.begin(), again.end());
  expect_input_error([&] { parse_container(bytes, "t"); },
                     {"t: trailing garbage (" + std::to_string(again.size()) + " bytes"});
}

// Files whose CRC holds but whose fields are impossible (crafted, or an encoder bug).
TEST(FormatContainer, StructuralErrorsWithValidCrc) {
  EXPECT_NO_THROW(parse_container(Crafted{}.bytes(), "ok"));
  const auto expect = [](const Crafted& f, const std::string& part) { expect_hostile(f.bytes(), part); };
  const auto with = [](auto&& edit) {
    Crafted f;
    edit(f.entries[0]);
    return f;
  };
  // Header fields.
  Crafted f;
  f.sigma_code = sigma_code(0.0);
  expect(f, "invalid sigma 0");
  f.sigma_code = sigma_code(-1.0);
  expect(f, "invalid sigma -1");
  f.sigma_code = sigma_code(std::numeric_limits<double>::infinity());
  expect(f, "invalid sigma inf");
  f.sigma_code = sigma_code(std::nan(""));
  expect(f, "invalid sigma");
  f = Crafted{};
  f.coding = uint64_t{1} << 38;  // flags beyond 32 bits
  expect(f, "absurd coding parameters");

  // Entry fields.
  expect(with([](CraftedEntry& e) { e.format = 3; }), "image 0: unknown image format 3");
  expect(with([](CraftedEntry& e) { e.format = 255; }), "image 0: unknown image format 255");
  expect(with([](CraftedEntry& e) { e.flow = 2; }), "invalid flow flag 2 of image 0");
  expect(with([](CraftedEntry& e) { e.channels = 0; }), "image 0: channel count 0");
  expect(with([](CraftedEntry& e) { e.channels = 5; }), "absurd channel count 5 (at most 4)");
  expect(with([](CraftedEntry& e) { e.h = 0; }), "image 0: absurd dimensions 4x0");
  expect(with([](CraftedEntry& e) { e.w = kMaxImageSide + 1; }), "absurd width 1048577 (at most 1048576)");
  expect(with([](CraftedEntry& e) { e.h = uint64_t{1} << 40; }), "absurd height");
  expect(with([](CraftedEntry& e) { e.count = 0; }), "image 0: image count 0");
  expect(with([](CraftedEntry& e) { e.count = uint64_t{1} << 32; }), "absurd image count 4294967296");
  expect(with([](CraftedEntry& e) { e.name_len = 0; e.name = ""; }), "image 0: name of 0 or more than 4096 bytes");
  expect(with([](CraftedEntry& e) { e.name_len = kMaxNameBytes + 1; }), "absurd name length 4097 (at most 4096)");
  expect(with([](CraftedEntry& e) { e.name_len = 4000; }), "truncated");  // past the end
  expect(with([](CraftedEntry& e) { e.name_len = 40; }), "truncated");    // past the end
  // Tiles larger than the image, or empty.
  expect(with([](CraftedEntry& e) { e.tile_h = 5; }), "image 0: tile size 4x5 outside the image");
  expect(with([](CraftedEntry& e) { e.tile_w = 5; }), "image 0: tile size 5x4 outside the image");
  expect(with([](CraftedEntry& e) { e.tile_w = 0; }), "image 0: tile size 0x4 outside the image");
  expect(with([](CraftedEntry& e) { e.tile_w = kMaxImageSide + 1; }), "absurd tile width");
  expect(with([](CraftedEntry& e) { e.channels = 4; e.tile_channels = 3; e.alpha_tile_w = 5; }),
         "image 0: alpha tile size 5x4");
  expect(with([](CraftedEntry& e) { e.channels = 2; e.alpha_tile_h = 0; }), "image 0: alpha tile size 4x0");
  // tile_channels must divide the colour planes (channels without alpha).
  expect(with([](CraftedEntry& e) { e.channels = 3; e.tile_channels = 2; }), "image 0: tile channel count 2");
  expect(with([](CraftedEntry& e) { e.channels = 4; e.tile_channels = 2; }), "image 0: tile channel count 2");
  expect(with([](CraftedEntry& e) { e.channels = 4; e.tile_channels = 4; }), "image 0: tile channel count 4");
  expect(with([](CraftedEntry& e) { e.channels = 2; e.tile_channels = 2; }), "image 0: tile channel count 2");
  expect(with([](CraftedEntry& e) { e.tile_channels = 0; }), "image 0: tile channel count 0");
  expect(with([](CraftedEntry& e) { e.tile_channels = 5; }), "absurd tile channels 5");
  // The entry index is reported.
  f = Crafted{};
  f.entries.push_back(CraftedEntry{});
  f.entries[1].flow = 7;
  f.lengths = {3};
  expect(f, "invalid flow flag 7 of image 1");
  f.entries[1].flow = 0;
  f.entries[1].format = 9;
  expect(f, "image 1: unknown image format 9");

  // Streams.
  f = Crafted{};
  f.entries[0].tile_h = f.entries[0].tile_w = 2;  // 4 tiles
  f.s = 3;
  f.counts = {1, 2};
  f.lengths = {1, 1, 1};
  EXPECT_EQ(parse_container(f.bytes(), "ok").stream_tiles, (std::vector<uint64_t>{1, 2, 1}));
  f.counts = {5, 0};
  expect(f, "inconsistent sizes (streams 0..0 hold more tiles than the 4 the images have)");
  f.counts = {3, 2};
  expect(f, "inconsistent sizes (streams 0..1 hold more tiles than the 4 the images have)");
  f.counts = {3, UINT64_MAX};  // 3 + (2^64-1) wraps to 2 ≤ 4: must not be accepted
  expect(f, "inconsistent sizes (streams 0..1 hold more tiles");
  f.counts = {UINT64_MAX, 5};
  expect(f, "inconsistent sizes (streams 0..0 hold more tiles");
  f = Crafted{};
  f.s = 0;
  f.lengths = {};
  f.payload = 0;
  expect(f, "inconsistent sizes (no streams for 1 tiles)");
  f = Crafted{};
  f.lengths = {2};  // the payload has 3 bytes
  expect(f, "inconsistent sizes (stream lengths add up to");
  f = Crafted{};
  f.lengths = {4};
  expect(f, "truncated (file has");
  f = Crafted{};
  f.s = 2;
  f.counts = {0};
  f.lengths = {UINT64_MAX, UINT64_MAX};
  expect(f, "truncated (file has ");
  f = Crafted{};
  f.s = kMaxStreams + 1;
  expect(f, "absurd stream count 16777217");
  f = Crafted{};
  f.s = 1000;  // more streams than bytes left
  expect(f, "truncated");

  // Non-canonical varints (so that parse ∘ serialize is the identity on accepted files), and
  // varints beyond 64 bits.  Offsets of the default Crafted body: coding 8, sigma 9, M 10,
  // shared 11, name 12-13, kind 14, format 15, channels 16, palette size 17, h 18.
  std::vector<uint8_t> body = Crafted{}.body();
  ASSERT_EQ(body[18], 4);
  body[18] = 0x84;
  body.insert(body.begin() + 19, 0x00);
  expect_hostile(sealed(body), "non-canonical varint for height");
  body = Crafted{}.body();
  body[8] = 0xA0;
  body.insert(body.begin() + 9, 0x80);
  body.insert(body.begin() + 10, 0x00);
  expect_hostile(sealed(body), "non-canonical varint for coding parameters");
  body = Crafted{}.body();
  body.erase(body.begin() + 9);
  body.insert(body.begin() + 9, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02});
  expect_hostile(sealed(body), "sigma overflows 64 bits");
  f = Crafted{};
  f.s = 2;
  f.counts = {0};
  f.lengths = {0, 3};
  body = f.body();
  // The one stream tile count (after the single entry and S) as 2^64 in 10 bytes.
  const size_t at = 11 + 1 + 2 + 1 + 1 + 8 + 1 + 1;  // shared, name, kind, format, 8 varints, flow, S
  ASSERT_EQ(body[at], 0);
  body.erase(body.begin() + at);
  body.insert(body.begin() + at, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02});
  expect_hostile(sealed(body), "stream tile count overflows 64 bits");
}

// Hostile headers (valid CRC) that declare huge sizes in a tiny file: rejected at once, without
// allocating in proportion to what they declare.
TEST(FormatContainer, HostileHeaders) {
  g_allocated = 0;  // (the accounting works: a real parse copies its 306 stream bytes)
  EXPECT_EQ(parse_container(serialize_container(multi_stream()), "x").streams.size(), 4u);
  EXPECT_GT(g_allocated.load(), 306u);

  // 2^32-1 entries in a 40-byte file: they cannot fit (each takes at least 3 bytes).
  std::vector<uint8_t> bytes;
  Crafted f;
  f.m = UINT32_MAX;
  f.sized(40);
  expect_hostile(f.bytes(), "truncated (file ends inside the header)");
  f.m = uint64_t{1} << 32;
  expect_hostile(f.bytes(), "absurd image entry count 4294967296");
  f.m = 9;  // 25 bytes after M: room for 8 entries at most; which field the parser then finds
            // broken depends on the bytes it reads as entries (the file's CRC among them)
  expect_hostile(f.bytes(), "");

  // A 1048576×1048576×4 image in a 60-byte file (2^42 subpixels; 2^34 at most, and at most
  // 2^13·60 + 2^22 for 60 bytes).
  f = Crafted{};
  CraftedEntry& e = f.entries[0];
  e.channels = 4;
  e.h = e.w = kMaxImageSide;
  e.tile_h = e.tile_w = e.alpha_tile_h = e.alpha_tile_w = kMaxTileSide;
  e.tile_channels = 3;
  f.sized(60);
  expect_hostile(f.bytes(), "absurd dimensions (more than 4685824 subpixels for a file of 60 bytes)");
  e.tile_h = e.tile_w = e.alpha_tile_h = e.alpha_tile_w = 1;  // and 2^42 tiles
  f.sized(60);
  expect_hostile(f.bytes(), "absurd dimensions (more than 4685824 subpixels for a file of 60 bytes)");
  e.count = UINT32_MAX;  // 2^74 subpixels: no overflow
  f.sized(64);
  expect_hostile(f.bytes(), "absurd dimensions (more than 4718592 subpixels for a file of 64 bytes)");
  // Tiles larger than 256×256 are refused whatever the file's size.
  e.count = 1;
  e.tile_h = kMaxTileSide + 1;
  f.sized(60);
  expect_hostile(f.bytes(), "image 0: tiles larger than 256x256");

  // 2^32-1 images of 1×1 in one entry.
  f = Crafted{};
  f.entries[0].h = f.entries[0].w = f.entries[0].tile_h = f.entries[0].tile_w = 1;
  f.entries[0].count = UINT32_MAX;
  f.sized(40);
  expect_hostile(f.bytes(), "absurd dimensions (more than 4521984 subpixels for a file of 40 bytes)");
  // Many entries that are each fine but not together: 3 × 2^21 subpixels > 2^22 + 2^13·B.
  f = Crafted{};
  f.entries[0].h = 1024;
  f.entries[0].w = 2048;
  f.entries[0].tile_h = f.entries[0].tile_w = kMaxTileSide;
  f.entries.push_back(f.entries[0]);
  f.entries.push_back(f.entries[0]);
  f.sized(100);
  expect_hostile(f.bytes(), "absurd dimensions (more than 5013504 subpixels for a file of 100 bytes)");

  // Tile 1×1 on a 1000×1000 image: few subpixels for the slack, too many tiles (10^6 > 8·40 + 4096).
  f = Crafted{};
  f.entries[0].h = f.entries[0].w = 1000;
  f.entries[0].tile_h = f.entries[0].tile_w = 1;
  f.sized(40);
  expect_hostile(f.bytes(), "absurd tile count (more than 4416 tiles for a file of 40 bytes)");
  // The tile bound exactly: 4416 tiles in 40 bytes are allowed, one more is not.
  f = Crafted{};
  f.entries[0].h = 4416;
  f.entries[0].w = 1;
  f.entries[0].tile_h = f.entries[0].tile_w = 1;
  f.sized(40);
  EXPECT_NO_THROW(parse_container(f.bytes(), "ok"));
  f.entries[0].h = 4417;
  f.sized(40);
  expect_hostile(f.bytes(), "absurd tile count (more than 4416 tiles for a file of 40 bytes)");

  // A stream count larger than the bytes left, stream lengths past the end.
  f = Crafted{};
  f.s = 100;
  f.counts.assign(99, 0);
  f.lengths = {3};  // 99 lengths missing: read from the CRCs and payload ("truncated" or a
                     // broken varint, as those bytes fall)
  expect_hostile(f.bytes(), "");
  f = Crafted{};
  f.s = kMaxStreams;
  f.lengths = {};
  f.payload = 30;
  expect_hostile(f.bytes(), "truncated (file ends inside the header)");
  f = Crafted{};
  f.lengths = {uint64_t{1} << 62};
  bytes = f.bytes();  // declares header + 2^62 + CRC; has header + 3 + CRC
  expect_hostile(bytes, "truncated (file has " + std::to_string(bytes.size()) + " bytes, its header declares " +
                            std::to_string(bytes.size() - 3 + (uint64_t{1} << 62)) + ")");
  f = Crafted{};
  f.s = 3;
  f.counts = {0, 0};
  f.lengths = {UINT64_MAX, UINT64_MAX, 1};
  expect_hostile(f.bytes(), "truncated (file has " + std::to_string(f.bytes().size()) +
                                " bytes, its header declares more than 2^64)");

  // A name length past the end.
  f = Crafted{};
  f.entries[0].name_len = kMaxNameBytes;
  expect_hostile(f.bytes(), "truncated (file ends inside the header)");

  // With the CRC broken too, hostile fields read as damage.
  bytes = Crafted{}.bytes();
  bytes[15] = 0x7F;  // height 127 > tile height 4 is fine; the CRC is not
  expect_hostile(bytes, "corrupted (CRC-32 mismatch");
  bytes = Crafted{}.bytes();
  bytes[13] = 3;  // format 3
  expect_hostile(bytes, "corrupted (CRC-32 mismatch");
}

// --- checks for the caller ---

TEST(FormatContainer, ModelCheck) {
  const uint64_t hash = 0x0123456789ABCDEFull;
  Container c = single_image(10);
  c.header.model_id = model_id_of(hash);
  EXPECT_EQ(c.header.model_id, 0x88888888u);  // 0x01234567 ^ 0x89ABCDEF
  // From version 9 the content hash identifies the model; before, the weights hash.
  EXPECT_NO_THROW(check_model(c, 7, hash, "m.lbb"));
  expect_input_error([&] { check_model(c, hash, hash + 1, "m.lbb"); },
                     {"m.lbb: compressed with another model (model id 88888888, this model is "
                      "88888897)"});
  c.header.version = 8;
  EXPECT_NO_THROW(check_model(c, hash, 7, "m.lbb"));
  expect_input_error([&] { check_model(c, hash + 1, hash, "m.lbb"); }, {"m.lbb: compressed with another model"});
}

TEST(FormatContainer, FlagsCheck) {
  Container c = single_image(10);
  c.header.flags = 0x5;
  EXPECT_NO_THROW(check_flags(c, 0x7, "f"));
  expect_input_error([&] { check_flags(c, 0x1, "f"); },
                     {"f: uses coding options this build does not know (flags 00000005, known 00000001)"});
}

TEST(FormatContainer, ImagesCrcCheck) {
  const Container c = single_image(10);
  std::vector<uint8_t> pixels = pattern_bytes(784, 2);
  // Over the entries in order, possibly in pieces.
  uint32_t crc = crc32(pixels.data(), 300);
  crc = crc32(pixels.data() + 300, 484, crc);
  EXPECT_NO_THROW(check_images_crc(c, crc, "i"));
  pixels[400] ^= 1;
  const uint32_t bad = crc32(pixels.data(), pixels.size());
  expect_input_error([&] { check_images_crc(c, bad, "i"); },
                     {"i: decoded images do not match the compressed ones (CRC-32 " + hex32(bad) + ", stored " +
                      hex32(c.images_crc32) + ";"});
}

TEST(FormatContainer, InvalidContainerIsACallerError) {
  const auto invalid = [](const std::function<void(Container&)>& edit, const char* what) {
    Container c = multi_stream();
    edit(c);
    EXPECT_THROW(check_container(c), std::invalid_argument) << what;
    EXPECT_THROW(serialize_container(c), std::invalid_argument) << what;
    EXPECT_THROW(container_overhead(c), std::invalid_argument) << what;
  };
  EXPECT_NO_THROW(check_container(multi_stream()));
  invalid([](Container& c) { c.stream_tiles = {10, 0, 16, 4}; }, "tiles sum");
  invalid([](Container& c) { c.stream_tiles = {10, 0, 16}; }, "stream_tiles size");
  invalid([](Container& c) { c.stream_tiles = {UINT64_MAX, 11, 16, 3}; }, "tiles sum wraps around");
  invalid([](Container& c) { c.streams.clear(); c.stream_tiles.clear(); }, "no streams");
  invalid([](Container& c) { c.header.precision_bits = 64; }, "precision");
  invalid([](Container& c) { c.header.sigma = 0; }, "sigma 0");
  invalid([](Container& c) { c.header.sigma = std::nan(""); }, "sigma nan");
  invalid([](Container& c) { c.header.version = kContainerVersion + 1; }, "version");
  invalid([](Container& c) { c.header.version = kOldestContainerVersion - 1; }, "version");
  invalid([](Container& c) { c.images[0].name = ""; }, "empty name");
  invalid([](Container& c) { c.images[0].name.assign(kMaxNameBytes + 1, 'x'); }, "long name");
  invalid([](Container& c) { c.images[1].format = 3; }, "format");
  invalid([](Container& c) { c.images[0].channels = 0; }, "channels 0");
  invalid([](Container& c) { c.images[0].channels = 5; }, "channels 5");
  invalid([](Container& c) { c.images[3].w = kMaxImageSide + 1; }, "width");
  invalid([](Container& c) { c.images[3].h = 0; }, "height 0");
  invalid([](Container& c) { c.images[0].count = 0; }, "count 0");
  invalid([](Container& c) { c.images[1].tile_h = 30; }, "tile > image");
  invalid([](Container& c) { c.images[1].tile_w = 0; }, "tile 0");
  invalid([](Container& c) { c.images[3].tile_channels = 2; }, "tile_channels 2 on RGB");
  invalid([](Container& c) { c.images[1].tile_channels = 4; }, "tile_channels 4 on RGBA");
  invalid([](Container& c) { c.images[0].alpha_tile_h = 1; }, "alpha tile without alpha");
  invalid([](Container& c) { c.images[2].alpha_tile_w = 0; }, "alpha tile 0 with alpha");
  invalid([](Container& c) { c.images[2].alpha_tile_w = 8; }, "alpha tile > image");
  // The size bounds for the file's length (306 stream bytes + under 100 header bytes): 2^26
  // subpixels (more than 2^24 + 2^16·406), or 10^6 tiles (more than 8·406 + 2^12).
  invalid([](Container& c) { c.images[0] = entry("x", 0, 1, 8192, 8192, 1, 8192, 8192, 1);
                             c.stream_tiles = {1, 0, 16, 3}; },
          "subpixel size bound");
  invalid([](Container& c) { c.images[0] = entry("x", 0, 1, 1000, 1000, 1, 1, 1, 1);
                             c.stream_tiles = {1000000, 0, 16, 3}; },
          "tile size bound");
  // Inside the tile bound (8·306 + 4096 = 6544 tiles even without the header): accepted, parses.
  Container c = multi_stream();
  c.images[0] = entry("x", 0, 1, 1, 6544 - 19, 1, 1, 1, 1);
  c.stream_tiles = {6544 - 19, 0, 16, 3};
  EXPECT_TRUE(parse_container(serialize_container(c), "x") == c);
}

// The size bounds are for the whole file, header included: a file the parser accepts because
// of its long names re-serialises (check_container counts the same bytes).
TEST(FormatContainer, SizeBoundsCountTheHeader) {
  Crafted f;
  f.entries[0].name.assign(kMaxNameBytes, 'n');
  f.entries[0].h = 4096;
  f.entries[0].w = 8192;  // 2^25 subpixels: more than 2^22 + 2^13·64 (all but the name's bytes)
  f.entries[0].tile_h = f.entries[0].tile_w = kMaxTileSide;
  const std::vector<uint8_t> bytes = f.bytes();
  const Container c = parse_container(bytes, "x");
  EXPECT_EQ(serialize_container(c), bytes);
  // Exactly at the tile bound for the file's length, and one tile beyond it: a 1×w image in 1×1
  // tiles, no stream bytes.
  Container t;
  t.images = {entry(std::string(kMaxNameBytes, 'n'), 0, 1, 1, 1, 1, 1, 1, 1)};
  t.streams = {{}};
  t.stream_tiles = {1};
  const size_t size = serialize_container(t).size();  // with w = 1 (one varint byte)
  const uint64_t max_tiles = kTilesPerByte * (size + 2) + kTileSlack;  // with w of 3 varint bytes
  t.images[0].w = static_cast<uint32_t>(max_tiles);
  t.stream_tiles = {max_tiles};
  ASSERT_EQ(container_overhead(t), size + 2);
  EXPECT_TRUE(parse_container(serialize_container(t), "x") == t);
  t.images[0].w += 1;
  t.stream_tiles = {max_tiles + 1};
  EXPECT_THROW(serialize_container(t), std::invalid_argument);
  expect_input_error([&] { parse_container(hand_encoded(t), "x"); }, {"x: absurd tile count (more than "});
}

// check_container must not be fooled by wrap-around: count·c·h·w = 2^22·4·2^20·2^20 = 2^64 (2^23
// tiles, within the tile bound of a 1 MiB stream), and stream_tiles summing to 2^64 + the total.
TEST(FormatContainer, InvalidContainerDespiteWrapAround) {
  Container c;
  c.images = {entry("x", 0, 4, kMaxImageSide, kMaxImageSide, 1u << 22, kMaxTileSide, kMaxTileSide, 3,
                    kMaxTileSide, kMaxTileSide)};
  c.streams = {std::vector<uint8_t>(1u << 20, 0x5A)};
  c.stream_tiles = {uint64_t{1} << 47};
  EXPECT_EQ(c.images[0].tiles(), uint64_t{1} << 47);
  EXPECT_THROW(check_container(c), std::invalid_argument);
  EXPECT_THROW(serialize_container(c), std::invalid_argument);
  // The parser rejects such a file, so the writer must refuse to write it.
  expect_input_error([&] { parse_container(hand_encoded(c), "w"); }, {"w: absurd dimensions (more than "});

  c = multi_stream();
  c.stream_tiles = {UINT64_MAX, 11, 16, 3};  // sums to 29 modulo 2^64
  EXPECT_THROW(check_container(c), std::invalid_argument);
  expect_input_error([&] { parse_container(hand_encoded(c), "w"); },
                     {"w: inconsistent sizes (streams 0..0 hold more tiles than the 29 the images have)"});
}

// --- files ---

TEST(FormatContainer, WriteAndReadFile) {
  TempDir dir;
  const std::string path = dir.file("a.lbb");
  const Container c = multi_stream();
  write_container(path, c);
  EXPECT_TRUE(read_container(path) == c);
  EXPECT_EQ(test::read_raw(path), serialize_container(c));
  write_container(path, single_image(5));  // replaces
  EXPECT_TRUE(read_container(path) == single_image(5));
  EXPECT_EQ(test::list_dir(dir.path()), std::vector<std::string>{"a.lbb"});
  expect_input_error([&] { read_container(dir.file("missing.lbb")); }, {dir.file("missing.lbb")});
  test::write_raw(dir.file("bad.lbb"), {'L', 'B', 'B', kContainerVersion, 0});
  expect_input_error([&] { read_container(dir.file("bad.lbb")); }, {dir.file("bad.lbb") + ": truncated"});
  test::write_raw(dir.file("v2.lbb"), {'L', 'B', 'B', 2, 0, 0, 0, 0, 1, 1, 28, 28});
  expect_input_error([&] { read_container(dir.file("v2.lbb")); },
                     {dir.file("v2.lbb") + ": unsupported lbb container version 2 (this build reads versions 3 to 9)"});
}

TEST(FormatContainer, FailedWriteLeavesNothingBehind) {
  TempDir dir;
  const Container c = single_image(100);
  // Missing directory.
  EXPECT_THROW(write_container(dir.file("no/such/dir/x.lbb"), c), IoError);
  EXPECT_TRUE(test::list_dir(dir.path()).empty());
  // The target is a non-empty directory: the temporary is written, the rename fails.
  const std::string taken = dir.file("taken.lbb");
  std::filesystem::create_directory(taken);
  test::write_text(taken + "/keep", "x");
  EXPECT_THROW(write_container(taken, c), IoError);
  EXPECT_EQ(test::list_dir(dir.path()), std::vector<std::string>{"taken.lbb"});
  EXPECT_EQ(test::list_dir(taken), std::vector<std::string>{"keep"});
  // An invalid container fails before anything is created, and an existing file survives.
  const std::string path = dir.file("old.lbb");
  write_container(path, c);
  Container bad = c;
  bad.stream_tiles = {3};
  EXPECT_THROW(write_container(path, bad), std::invalid_argument);
  bad = c;
  bad.images[0].tile_channels = 2;
  EXPECT_THROW(write_container(dir.file("new.lbb"), bad), std::invalid_argument);
  EXPECT_TRUE(read_container(path) == c);
  EXPECT_EQ(test::list_dir(dir.path()), (std::vector<std::string>{"old.lbb", "taken.lbb"}));
}

}  // namespace
}  // namespace lbb
