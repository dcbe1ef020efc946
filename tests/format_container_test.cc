// The .lbb container: round trips, exact overhead, rejection of every truncation and every
// single-bit flip with a specific one-line message, structural checks on files whose CRC holds,
// model/flags/images checks, and atomic writes.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "format/container.h"
#include "io/errors.h"
#include "io_test_util.h"

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

Container single_image(size_t stream_bytes) {
  Container c;
  c.header.model_id = 0xA1B2C3D4u;
  c.header.n = 1;
  c.header.c = 1;
  c.header.h = 28;
  c.header.w = 28;
  c.header.precision_bits = 32;
  c.header.sigma = std::ldexp(1.0, -14);
  c.header.flags = 0;
  c.streams = {pattern_bytes(stream_bytes, 1)};
  c.stream_images = {1};
  const std::vector<uint8_t> pixels = pattern_bytes(784, 2);
  c.images_crc32 = images_crc32(pixels.data(), pixels.size());
  return c;
}

Container multi_stream() {
  Container c;
  c.header.model_id = 7;
  c.header.n = 10;
  c.header.c = 3;
  c.header.h = 32;
  c.header.w = 17;
  c.header.precision_bits = 63;
  c.header.sigma = 0.001;  // not a power of two: the long sigma code
  c.header.flags = 0xFFFFFFFFu;
  c.streams = {pattern_bytes(5, 3), {}, pattern_bytes(300, 4), pattern_bytes(1, 5)};
  c.stream_images = {4, 0, 5, 1};
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

struct Crafted {
  uint64_t n = 1, c = 1, h = 4, w = 4;
  uint64_t coding = 32;
  uint64_t sigma_code = 14;
  uint64_t s = 1;
  std::vector<uint64_t> counts;            // S-1 entries
  std::vector<uint64_t> lengths = {3};     // S entries
  size_t payload = 3;
  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out = {'L', 'B', 'B', kContainerVersion};
    u32(out, 0x01020304u);
    varint(out, n);
    varint(out, c);
    varint(out, h);
    varint(out, w);
    varint(out, coding);
    varint(out, sigma_code);
    varint(out, s);
    for (uint64_t k : counts) varint(out, k);
    for (uint64_t len : lengths) varint(out, len);
    u32(out, 0x55555555u);
    out.insert(out.end(), payload, 0xAB);
    return sealed(out);
  }
};

// --- round trips ---

TEST(FormatContainer, RoundTripSingleImage) {
  const Container c = single_image(350);
  const std::vector<uint8_t> bytes = serialize_container(c);
  const Container back = parse_container(bytes, "x");
  EXPECT_TRUE(back == c);
  EXPECT_EQ(back.header.sigma, std::ldexp(1.0, -14));
  EXPECT_EQ(serialize_container(back), bytes);
}

TEST(FormatContainer, RoundTripMultipleAndEmptyStreams) {
  const Container c = multi_stream();
  const std::vector<uint8_t> bytes = serialize_container(c);
  const Container back = parse_container(bytes, "x");
  EXPECT_TRUE(back == c);
  EXPECT_EQ(back.streams[1].size(), 0u);
  EXPECT_EQ(back.header.flags, 0xFFFFFFFFu);
  EXPECT_EQ(back.header.precision_bits, 63);
  EXPECT_EQ(back.header.sigma, 0.001);
  EXPECT_EQ(serialize_container(back), bytes);

  // Every stream empty, and a container with no images and no streams.
  Container empty = c;
  for (auto& s : empty.streams) s.clear();
  EXPECT_TRUE(parse_container(serialize_container(empty), "x") == empty);
  Container none;
  none.header.n = 0;
  EXPECT_TRUE(parse_container(serialize_container(none), "x") == none);
  EXPECT_EQ(serialize_container(none).size(), 4 + 4 + 4 + 1 + 1 + 1 + 4 + 4u);
}

TEST(FormatContainer, RoundTripExtremes) {
  Container c;
  c.header.n = 4;
  c.header.c = kMaxImageSide;
  c.header.h = kMaxImageSide;
  c.header.w = 1;  // 4·65535² < 2^34
  c.header.precision_bits = 0;
  c.header.sigma = std::numeric_limits<double>::denorm_min();
  c.header.model_id = 0xFFFFFFFFu;
  c.streams = {pattern_bytes(20000, 9)};
  c.stream_images = {4};
  EXPECT_TRUE(parse_container(serialize_container(c), "x") == c);
  c.header.sigma = std::numeric_limits<double>::max();
  EXPECT_TRUE(parse_container(serialize_container(c), "x") == c);
}

TEST(FormatContainer, SigmaCode) {
  for (int e = 1; e <= 127; ++e) EXPECT_EQ(sigma_code(std::ldexp(1.0, -e)), uint64_t(e)) << e;
  EXPECT_EQ(sigma_code(1.0), 0u);
  for (double d : {0.001, 1e-300, 3.5, 1e300, -2.0, 0.0}) {
    EXPECT_EQ(sigma_from_code(sigma_code(d)), d);
  }
}

TEST(FormatContainer, ImagesCrcIsStandardCrc32) {
  const char* check = "123456789";
  EXPECT_EQ(images_crc32(reinterpret_cast<const uint8_t*>(check), 9), 0xCBF43926u);
  EXPECT_EQ(images_crc32(nullptr, 0), 0u);
}

// --- size ---

TEST(FormatContainer, OneStreamOverheadIsSmall) {
  // magic+version 4, model id 4, n c h w 1+1+1+1, coding 1, sigma 1, S 1, length 2, images CRC 4,
  // file CRC 4.
  const Container c = single_image(350);
  const std::vector<uint8_t> bytes = serialize_container(c);
  EXPECT_EQ(bytes.size(), 350u + 25u);
  EXPECT_EQ(container_overhead(c), 25u);
  EXPECT_EQ(container_overhead(single_image(127)), 24u);
  // The exact layout, up to the payload.
  const std::vector<uint8_t> head(bytes.begin(), bytes.begin() + 17);
  const std::vector<uint8_t> want = {'L',  'B',  'B',  2,    0xD4, 0xC3, 0xB2, 0xA1, 1,
                                     1,    28,   28,   32,   14,   1,    0xDE, 0x02};
  EXPECT_EQ(head, want);
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) crc |= uint32_t{bytes[17 + i]} << (8 * i);
  EXPECT_EQ(crc, c.images_crc32);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 21, bytes.begin() + 21 + 350), c.streams[0]);
  EXPECT_EQ(bytes, sealed(std::vector<uint8_t>(bytes.begin(), bytes.end() - 4)));
}

// --- damage ---

TEST(FormatContainer, EveryTruncationIsRejectedAsTruncated) {
  for (const Container& c : {single_image(40), multi_stream()}) {
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
  for (const Container& c : {single_image(40), multi_stream()}) {
    const std::vector<uint8_t> bytes = serialize_container(c);
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::vector<uint8_t> bad = bytes;
        bad[i] ^= static_cast<uint8_t>(1u << bit);
        const std::string m = message_of(bad);
        ASSERT_EQ(m.rfind("f.lbb: ", 0), 0u) << "byte " << i << " bit " << bit << ": '" << m << "'";
        EXPECT_EQ(m.find('\n'), std::string::npos);
      }
    }
  }
  // A flip in the payload or a CRC is reported as corruption.
  std::vector<uint8_t> bytes = serialize_container(single_image(40));
  bytes[30] ^= 0x10;
  expect_input_error([&] { parse_container(bytes, "f.lbb"); },
                     {"f.lbb: corrupted (CRC-32 mismatch"});
}

TEST(FormatContainer, BadMagicAndVersion) {
  const std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  expect_input_error([&] { parse_container(png, "a.png"); }, {"a.png: not an lbb file (bad magic)"});
  expect_input_error([&] { parse_container(std::vector<uint8_t>{'L', 'X'}, "s"); },
                     {"s: not an lbb file"});
  expect_input_error([&] { parse_container(std::vector<uint8_t>{'L', 'B'}, "s"); },
                     {"s: truncated"});
  expect_input_error([&] { parse_container(std::vector<uint8_t>{}, "e"); }, {"e: empty file"});
  for (const uint8_t other : {uint8_t(kContainerVersion - 1), uint8_t(kContainerVersion + 1)}) {
    std::vector<uint8_t> bytes = serialize_container(single_image(10));
    bytes[3] = other;
    expect_input_error([&] { parse_container(sealed({bytes.begin(), bytes.end() - 4}), "other.lbb"); },
                       {"other.lbb: unsupported lbb container version " + std::to_string(other) +
                        " (this build reads version " + std::to_string(kContainerVersion) + ")"});
  }
}

TEST(FormatContainer, TrailingGarbage) {
  std::vector<uint8_t> bytes = serialize_container(multi_stream());
  bytes.insert(bytes.end(), {1, 2, 3});
  expect_input_error([&] { parse_container(bytes, "t"); },
                     {"t: trailing garbage (3 bytes after the end of the container)"});
}

// Files whose CRC holds but whose fields are impossible (crafted, or an encoder bug).
TEST(FormatContainer, StructuralErrorsWithValidCrc) {
  EXPECT_NO_THROW(parse_container(Crafted{}.bytes(), "ok"));
  const auto expect = [](const Crafted& f, const std::string& part) {
    expect_input_error([&] { parse_container(f.bytes(), "c.lbb"); }, {"c.lbb: " + part});
  };
  Crafted f;
  f.h = 70000;
  expect(f, "absurd dimensions (n x c x h x w = 1x1x70000x4");
  f = Crafted{};
  f.c = 0;
  expect(f, "absurd dimensions");
  f = Crafted{};
  f.n = 5;
  f.c = 3;
  f.h = 65535;
  f.w = 65535;
  f.counts = {};
  expect(f, "absurd dimensions (n x c x h x w = 5x3x65535x65535 is more than 2^34 subpixels)");
  f = Crafted{};
  f.n = 0xFFFFFFFFu;
  f.c = f.h = f.w = 65535;  // n·c·h·w overflows 64 bits
  expect(f, "absurd dimensions");
  f = Crafted{};
  f.n = uint64_t{1} << 32;  // not a u32
  expect(f, "absurd image count");

  f = Crafted{};
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

  f = Crafted{};
  f.n = 3;
  f.s = 2;
  f.counts = {4};
  f.lengths = {1, 2};
  expect(f, "inconsistent sizes (streams 0..0 hold more images than n = 3)");
  f = Crafted{};
  f.s = 0;
  f.lengths = {};
  f.payload = 0;
  expect(f, "inconsistent sizes (no streams for 1 images)");
  f = Crafted{};
  f.lengths = {2};  // the payload has 3 bytes
  expect(f, "inconsistent sizes (stream lengths add up to");
  f = Crafted{};
  f.lengths = {4};
  expect(f, "truncated (file has");
  f = Crafted{};
  f.s = kMaxStreams + 1;
  expect(f, "absurd stream count");
  f = Crafted{};
  f.s = 1000;  // more streams than bytes left
  expect(f, "truncated");

  // Non-canonical varints (so that parse ∘ serialize is the identity on accepted files).
  std::vector<uint8_t> body = {'L', 'B', 'B', kContainerVersion, 0, 0, 0, 0, 0x81, 0x00};
  expect_input_error([&] { parse_container(sealed(body), "v"); },
                     {"v: non-canonical varint for image count"});
  body = {'L', 'B', 'B', kContainerVersion, 0, 0, 0, 0, 1, 1, 4, 4, 32};
  for (int i = 0; i < 9; ++i) body.push_back(0xFF);
  body.push_back(0x02);  // a tenth byte > 1: more than 64 bits
  expect_input_error([&] { parse_container(sealed(body), "v"); }, {"v: sigma overflows 64 bits"});
}

// --- checks for the caller ---

TEST(FormatContainer, ModelCheck) {
  const uint64_t hash = 0x0123456789ABCDEFull;
  Container c = single_image(10);
  c.header.model_id = model_id_of(hash);
  EXPECT_EQ(c.header.model_id, 0x88888888u);  // 0x01234567 ^ 0x89ABCDEF
  EXPECT_NO_THROW(check_model(c, hash, "m.lbb"));
  expect_input_error([&] { check_model(c, hash + 1, "m.lbb"); },
                     {"m.lbb: compressed with another model (model id 88888888, this model is "
                      "88888897)"});
}

TEST(FormatContainer, FlagsCheck) {
  Container c = single_image(10);
  c.header.flags = 0x5;
  EXPECT_NO_THROW(check_flags(c, 0x7, "f"));
  expect_input_error([&] { check_flags(c, 0x1, "f"); },
                     {"f: uses coding options this build does not know"});
}

TEST(FormatContainer, ImagesCheck) {
  const Container c = single_image(10);
  std::vector<uint8_t> pixels = pattern_bytes(784, 2);
  EXPECT_NO_THROW(check_images(c, pixels.data(), pixels.size(), "i"));
  pixels[400] ^= 1;
  expect_input_error([&] { check_images(c, pixels.data(), pixels.size(), "i"); },
                     {"i: decoded images do not match"});
  expect_input_error([&] { check_images(c, pixels.data(), 783, "i"); },
                     {"i: decoded 783 subpixels, the header says 784"});
}

TEST(FormatContainer, InvalidContainerIsACallerError) {
  Container c = single_image(10);
  c.stream_images = {2};
  EXPECT_THROW(serialize_container(c), std::invalid_argument);
  c = single_image(10);
  c.stream_images = {};
  EXPECT_THROW(serialize_container(c), std::invalid_argument);
  c = single_image(10);
  c.header.precision_bits = 64;
  EXPECT_THROW(serialize_container(c), std::invalid_argument);
  c = single_image(10);
  c.header.sigma = 0;
  EXPECT_THROW(serialize_container(c), std::invalid_argument);
  c = single_image(10);
  c.header.w = 65536;
  EXPECT_THROW(serialize_container(c), std::invalid_argument);
  c = single_image(10);
  c.header.version = kContainerVersion + 1;
  EXPECT_THROW(serialize_container(c), std::invalid_argument);
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
  expect_input_error([&] { read_container(dir.file("bad.lbb")); },
                     {dir.file("bad.lbb") + ": truncated"});
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
  bad.stream_images = {3};
  EXPECT_THROW(write_container(path, bad), std::invalid_argument);
  EXPECT_TRUE(read_container(path) == c);
  EXPECT_EQ(test::list_dir(dir.path()), (std::vector<std::string>{"old.lbb", "taken.lbb"}));
}

}  // namespace
}  // namespace lbb
