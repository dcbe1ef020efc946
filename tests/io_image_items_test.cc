// Image items: every PNG colour type and bit depth up to 8 (fixtures written with libpng
// directly), PGM/PPM, IDX and Fashion-MNIST, recursive directories, stored names, output
// names and encode_image_file round trips.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>
#include <zlib.h>

#include <csetjmp>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "io/images.h"
#include "io_test_util.h"

namespace lbb {
namespace {

namespace fs = std::filesystem;
using test::expect_input_error;
using test::TempDir;

// Everything a classic-API PNG fixture can carry.
struct PngFixture {
  uint32_t w = 0, h = 0;
  int bit_depth = 8;
  int color_type = PNG_COLOR_TYPE_GRAY;
  int interlace = PNG_INTERLACE_NONE;
  std::vector<std::vector<uint8_t>> rows;  // h rows of packed samples, PNG's own layout
  std::vector<png_color> palette;          // PLTE entries (palette images)
  std::vector<uint8_t> palette_alpha;      // tRNS alpha of the first palette entries
  std::optional<png_color_16> key;         // tRNS colour key (grey: .gray, RGB: .red...)
};

bool write_png_fixture_impl(FILE* fp, PngFixture& f, png_bytepp rows) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, fp);
  png_set_IHDR(png, info, f.w, f.h, f.bit_depth, f.color_type, f.interlace,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!f.palette.empty()) {
    png_set_PLTE(png, info, f.palette.data(), static_cast<int>(f.palette.size()));
  }
  if (!f.palette_alpha.empty()) {
    png_set_tRNS(png, info, f.palette_alpha.data(), static_cast<int>(f.palette_alpha.size()),
                 nullptr);
  }
  if (f.key) png_set_tRNS(png, info, nullptr, 0, &*f.key);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

void write_png_fixture(const std::string& path, PngFixture f) {
  std::vector<png_bytep> pointers;
  for (auto& row : f.rows) pointers.push_back(row.data());
  FILE* fp = std::fopen(path.c_str(), "wb");
  if (fp == nullptr) throw std::runtime_error("cannot open " + path);
  const bool ok = write_png_fixture_impl(fp, f, pointers.data());
  std::fclose(fp);
  if (!ok) throw std::runtime_error("PNG fixture failed: " + path);
}

// Packs per-pixel values (each < 2^bits) into PNG rows, most significant bits first.
std::vector<std::vector<uint8_t>> pack_rows(const std::vector<std::vector<uint8_t>>& values,
                                            int bits) {
  std::vector<std::vector<uint8_t>> rows;
  for (const auto& line : values) {
    std::vector<uint8_t> row((line.size() * bits + 7) / 8, 0);
    for (size_t x = 0; x < line.size(); ++x) {
      const size_t bit = x * bits;
      row[bit / 8] |= static_cast<uint8_t>(line[x] << (8 - bits - bit % 8));
    }
    rows.push_back(row);
  }
  return rows;
}

// h x w values from a fixed pattern, each < `limit`.
std::vector<std::vector<uint8_t>> pattern(uint32_t h, uint32_t w, uint32_t limit, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> v(h, std::vector<uint8_t>(w));
  for (auto& row : v) {
    for (auto& x : row) x = static_cast<uint8_t>(rng() % limit);
  }
  return v;
}

std::vector<uint8_t> random_pixels(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(rng());
  return v;
}

ImageItem load_one(const std::string& path) {
  std::vector<ImageItem> items = load_image_items({path});
  if (items.size() != 1) throw std::runtime_error("expected one item");
  return std::move(items[0]);
}

// Sample (k, y, x) of image 0 of `item`.
uint8_t at(const ImageItem& item, uint32_t k, uint32_t y, uint32_t x) {
  return item.pixels[(size_t{k} * item.h + y) * item.w + x];
}

void expect_shape(const ImageItem& item, ImageFormat format, uint32_t c, uint32_t h, uint32_t w,
                  uint32_t count = 1) {
  EXPECT_EQ(item.format, format);
  EXPECT_EQ(item.channels, c);
  EXPECT_EQ(item.h, h);
  EXPECT_EQ(item.w, w);
  EXPECT_EQ(item.count, count);
  EXPECT_EQ(item.pixels.size(), size_t{count} * c * h * w);
}

// Restores the working directory at scope exit (tests using relative inputs chdir into a
// scratch directory).
class CwdGuard {
 public:
  explicit CwdGuard(const std::string& dir) : saved_(fs::current_path()) {
    fs::current_path(dir);
  }
  ~CwdGuard() { fs::current_path(saved_); }

 private:
  fs::path saved_;
};

// The stored name of an absolute path: its last part.
std::string rel_name(const std::string& absolute) {
  fs::path p = fs::path(absolute).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().generic_string();
}

TEST(IoImageItems, PaletteWithoutTransparencyIsRgb) {
  TempDir dir;
  PngFixture f;
  f.w = 5;
  f.h = 3;
  f.color_type = PNG_COLOR_TYPE_PALETTE;
  f.palette = {{10, 20, 30}, {40, 50, 60}, {70, 80, 90}, {255, 0, 128}};
  const auto idx = pattern(3, 5, 4, 1);
  f.rows = idx;
  write_png_fixture(dir.file("pal.png"), f);
  const ImageItem item = load_one(dir.file("pal.png"));
  expect_shape(item, ImageFormat::kPng, 3, 3, 5);
  for (uint32_t y = 0; y < 3; ++y) {
    for (uint32_t x = 0; x < 5; ++x) {
      const png_color& p = f.palette[idx[y][x]];
      ASSERT_EQ(at(item, 0, y, x), p.red);
      ASSERT_EQ(at(item, 1, y, x), p.green);
      ASSERT_EQ(at(item, 2, y, x), p.blue);
    }
  }
}

TEST(IoImageItems, PaletteWithTransparencyIsRgba) {
  TempDir dir;
  PngFixture f;
  f.w = 7;
  f.h = 4;
  f.bit_depth = 2;  // packed indices too
  f.color_type = PNG_COLOR_TYPE_PALETTE;
  f.palette = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {200, 201, 202}};
  f.palette_alpha = {0, 128};  // entries 2 and 3: opaque
  const auto idx = pattern(4, 7, 4, 2);
  f.rows = pack_rows(idx, 2);
  write_png_fixture(dir.file("pal_trns.png"), f);
  const ImageItem item = load_one(dir.file("pal_trns.png"));
  expect_shape(item, ImageFormat::kPng, 4, 4, 7);
  for (uint32_t y = 0; y < 4; ++y) {
    for (uint32_t x = 0; x < 7; ++x) {
      const uint8_t i = idx[y][x];
      ASSERT_EQ(at(item, 0, y, x), f.palette[i].red);
      ASSERT_EQ(at(item, 1, y, x), f.palette[i].green);
      ASSERT_EQ(at(item, 2, y, x), f.palette[i].blue);
      ASSERT_EQ(at(item, 3, y, x), i < 2 ? f.palette_alpha[i] : 255);
    }
  }
}

TEST(IoImageItems, GreyWithColourKeyIsGreyAlpha) {
  TempDir dir;
  PngFixture f;
  f.w = 6;
  f.h = 5;
  const auto v = pattern(5, 6, 4, 3);  // values 0..3, so the key 2 occurs often
  f.rows = v;
  png_color_16 key{};
  key.gray = 2;
  f.key = key;
  write_png_fixture(dir.file("grey_key.png"), f);
  const ImageItem item = load_one(dir.file("grey_key.png"));
  expect_shape(item, ImageFormat::kPng, 2, 5, 6);
  for (uint32_t y = 0; y < 5; ++y) {
    for (uint32_t x = 0; x < 6; ++x) {
      ASSERT_EQ(at(item, 0, y, x), v[y][x]);
      ASSERT_EQ(at(item, 1, y, x), v[y][x] == 2 ? 0 : 255);
    }
  }
}

TEST(IoImageItems, RgbWithColourKeyIsRgba) {
  TempDir dir;
  PngFixture f;
  f.w = 2;
  f.h = 2;
  f.color_type = PNG_COLOR_TYPE_RGB;
  f.rows = {{9, 8, 7, 1, 2, 3}, {1, 2, 3, 1, 2, 4}};
  png_color_16 key{};
  key.red = 1;
  key.green = 2;
  key.blue = 3;
  f.key = key;
  write_png_fixture(dir.file("rgb_key.png"), f);
  const ImageItem item = load_one(dir.file("rgb_key.png"));
  expect_shape(item, ImageFormat::kPng, 4, 2, 2);
  const std::vector<uint8_t> planar = {9, 1, 1, 1, 8, 2, 2, 2, 7, 3, 3, 4, 255, 0, 0, 255};
  EXPECT_EQ(item.pixels, planar);
}

TEST(IoImageItems, LowBitDepthGreyIsScaledTo8Bits) {
  TempDir dir;
  for (int bits : {1, 2, 4}) {
    SCOPED_TRACE(bits);
    const uint32_t h = 3, w = 11;  // rows end mid-byte
    const uint32_t levels = 1u << bits;
    PngFixture f;
    f.w = w;
    f.h = h;
    f.bit_depth = bits;
    const auto v = pattern(h, w, levels, 10 + bits);
    f.rows = pack_rows(v, bits);
    const std::string path = dir.file("g" + std::to_string(bits) + ".png");
    write_png_fixture(path, f);
    const ImageItem item = load_one(path);
    expect_shape(item, ImageFormat::kPng, 1, h, w);
    for (uint32_t y = 0; y < h; ++y) {
      for (uint32_t x = 0; x < w; ++x) {
        ASSERT_EQ(at(item, 0, y, x), v[y][x] * 255 / (levels - 1)) << y << "," << x;
      }
    }
  }
  // The 4-bit levels by hand: 0 -> 0, 1 -> 17, 15 -> 255.
  PngFixture f;
  f.w = 3;
  f.h = 1;
  f.bit_depth = 4;
  f.rows = pack_rows({{0, 1, 15}}, 4);
  write_png_fixture(dir.file("g4.png"), f);
  EXPECT_EQ(load_one(dir.file("g4.png")).pixels, (std::vector<uint8_t>{0, 17, 255}));
}

TEST(IoImageItems, LowBitDepthGreyWithColourKey) {
  TempDir dir;
  PngFixture f;
  f.w = 5;
  f.h = 2;
  f.bit_depth = 2;
  const std::vector<std::vector<uint8_t>> v = {{0, 1, 2, 3, 1}, {1, 1, 0, 3, 2}};
  f.rows = pack_rows(v, 2);
  png_color_16 key{};
  key.gray = 1;
  f.key = key;
  write_png_fixture(dir.file("g2_key.png"), f);
  const ImageItem item = load_one(dir.file("g2_key.png"));
  expect_shape(item, ImageFormat::kPng, 2, 2, 5);
  for (uint32_t y = 0; y < 2; ++y) {
    for (uint32_t x = 0; x < 5; ++x) {
      ASSERT_EQ(at(item, 0, y, x), v[y][x] * 85);
      ASSERT_EQ(at(item, 1, y, x), v[y][x] == 1 ? 0 : 255);
    }
  }
}

TEST(IoImageItems, GreyAlphaAndRgba) {
  TempDir dir;
  // 2x2 grey+alpha and RGBA, interleaved as PNG stores them.
  const uint8_t ga[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const uint8_t rgba[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  test::write_fixture_png(dir.file("ga.png"), PNG_FORMAT_GA, 2, 2, ga);
  test::write_fixture_png(dir.file("rgba.png"), PNG_FORMAT_RGBA, 2, 2, rgba);
  const ImageItem a = load_one(dir.file("ga.png"));
  expect_shape(a, ImageFormat::kPng, 2, 2, 2);
  EXPECT_EQ(a.pixels, (std::vector<uint8_t>{1, 3, 5, 7, 2, 4, 6, 8}));
  const ImageItem b = load_one(dir.file("rgba.png"));
  expect_shape(b, ImageFormat::kPng, 4, 2, 2);
  EXPECT_EQ(b.pixels,
            (std::vector<uint8_t>{1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 4, 8, 12, 16}));
  // The ImageSet loaders still refuse alpha.
  expect_input_error([&] { load_images({dir.file("rgba.png")}); },
                     {dir.file("rgba.png"), "RGBA PNG not supported"});
}

TEST(IoImageItems, InterlacedPngs) {
  TempDir dir;
  {  // RGBA, 8-bit
    const uint32_t h = 11, w = 13;
    PngFixture f;
    f.w = w;
    f.h = h;
    f.color_type = PNG_COLOR_TYPE_RGB_ALPHA;
    f.interlace = PNG_INTERLACE_ADAM7;
    f.rows = pattern(h, w * 4, 256, 20);
    write_png_fixture(dir.file("adam7_rgba.png"), f);
    const ImageItem item = load_one(dir.file("adam7_rgba.png"));
    expect_shape(item, ImageFormat::kPng, 4, h, w);
    for (uint32_t y = 0; y < h; ++y) {
      for (uint32_t x = 0; x < w; ++x) {
        for (uint32_t k = 0; k < 4; ++k) ASSERT_EQ(at(item, k, y, x), f.rows[y][x * 4 + k]);
      }
    }
  }
  {  // 1-bit grey: deinterlacing and expansion together
    const uint32_t h = 7, w = 9;
    PngFixture f;
    f.w = w;
    f.h = h;
    f.bit_depth = 1;
    f.interlace = PNG_INTERLACE_ADAM7;
    const auto v = pattern(h, w, 2, 21);
    f.rows = pack_rows(v, 1);
    write_png_fixture(dir.file("adam7_g1.png"), f);
    const ImageItem item = load_one(dir.file("adam7_g1.png"));
    expect_shape(item, ImageFormat::kPng, 1, h, w);
    for (uint32_t y = 0; y < h; ++y) {
      for (uint32_t x = 0; x < w; ++x) ASSERT_EQ(at(item, 0, y, x), v[y][x] ? 255 : 0);
    }
  }
  {  // palette with tRNS
    PngFixture f;
    f.w = 10;
    f.h = 9;
    f.color_type = PNG_COLOR_TYPE_PALETTE;
    f.interlace = PNG_INTERLACE_ADAM7;
    f.palette = {{0, 1, 2}, {3, 4, 5}, {6, 7, 8}};
    f.palette_alpha = {7, 8, 9};
    const auto idx = pattern(9, 10, 3, 22);
    f.rows = idx;
    write_png_fixture(dir.file("adam7_pal.png"), f);
    const ImageItem item = load_one(dir.file("adam7_pal.png"));
    expect_shape(item, ImageFormat::kPng, 4, 9, 10);
    for (uint32_t y = 0; y < 9; ++y) {
      for (uint32_t x = 0; x < 10; ++x) {
        ASSERT_EQ(at(item, 0, y, x), idx[y][x] * 3);
        ASSERT_EQ(at(item, 3, y, x), 7 + idx[y][x]);
      }
    }
  }
}

TEST(IoImageItems, EncodeImageFileRoundTrips) {
  TempDir dir;
  const uint32_t h = 6, w = 9;
  for (uint32_t c = 1; c <= 4; ++c) {
    SCOPED_TRACE(c);
    const std::vector<uint8_t> pixels = random_pixels(size_t{c} * h * w, 30 + c);
    const std::vector<uint8_t> png = encode_image_file(ImageFormat::kPng, c, h, w, pixels.data());
    ASSERT_GT(png.size(), 26u);
    // IHDR: 8-bit, colour type grey / grey+alpha / RGB / RGBA.
    const uint8_t color_types[4] = {0, 4, 2, 6};
    EXPECT_EQ(png[24], 8);
    EXPECT_EQ(png[25], color_types[c - 1]);
    EXPECT_EQ(encode_image_file(ImageFormat::kIdx, c, h, w, pixels.data()), png);
    test::write_raw(dir.file("c" + std::to_string(c) + ".png"), png);
    const ImageItem item = load_one(dir.file("c" + std::to_string(c) + ".png"));
    expect_shape(item, ImageFormat::kPng, c, h, w);
    EXPECT_EQ(item.pixels, pixels);
    // write_png takes the same channel counts.
    write_png(dir.file("w" + std::to_string(c) + ".png"), c, h, w, pixels.data());
    EXPECT_EQ(load_one(dir.file("w" + std::to_string(c) + ".png")).pixels, pixels);
  }
  for (uint32_t c : {1u, 3u}) {
    SCOPED_TRACE(c);
    const std::vector<uint8_t> pixels = random_pixels(size_t{c} * h * w, 40 + c);
    const std::vector<uint8_t> pnm = encode_image_file(ImageFormat::kPnm, c, h, w, pixels.data());
    const std::string header = std::string(c == 1 ? "P5" : "P6") + "\n9 6\n255\n";
    ASSERT_EQ(pnm.size(), header.size() + pixels.size());
    EXPECT_EQ(std::string(pnm.begin(), pnm.begin() + header.size()), header);
    const std::string path = dir.file(c == 1 ? "x.pgm" : "x.ppm");
    test::write_raw(path, pnm);
    const ImageItem item = load_one(path);
    expect_shape(item, ImageFormat::kPnm, c, h, w);
    EXPECT_EQ(item.pixels, pixels);
    // The ImageSet loader reads them too, identically.
    EXPECT_EQ(load_images({path}).pixels, pixels);
  }
  const std::vector<uint8_t> some(64, 1);
  EXPECT_THROW(encode_image_file(ImageFormat::kPnm, 2, 2, 2, some.data()), std::invalid_argument);
  EXPECT_THROW(encode_image_file(ImageFormat::kPnm, 4, 2, 2, some.data()), std::invalid_argument);
  EXPECT_THROW(encode_image_file(ImageFormat::kPng, 5, 2, 2, some.data()), std::invalid_argument);
  EXPECT_THROW(encode_image_file(ImageFormat::kPng, 0, 2, 2, some.data()), std::invalid_argument);
  EXPECT_THROW(encode_image_file(ImageFormat::kPng, 1, 0, 2, some.data()), std::invalid_argument);
  EXPECT_THROW(encode_image_file(ImageFormat::kPnm, 1, 2, 0, some.data()), std::invalid_argument);
  EXPECT_THROW(encode_image_file(static_cast<ImageFormat>(7), 1, 2, 2, some.data()),
               std::invalid_argument);
}

TEST(IoImageItems, ThinAndTinyImages) {
  TempDir dir;
  const uint32_t n = 20000;  // beyond 16384 in one direction
  struct Shape {
    ImageFormat format;
    uint32_t c, h, w;
    const char* file;
  };
  const Shape shapes[] = {
      {ImageFormat::kPng, 1, 1, 1, "one.png"},   {ImageFormat::kPng, 4, 1, 1, "one4.png"},
      {ImageFormat::kPnm, 3, 1, 1, "one.ppm"},   {ImageFormat::kPng, 4, 1, n, "row.png"},
      {ImageFormat::kPng, 2, n, 1, "col.png"},   {ImageFormat::kPnm, 1, 1, n, "row.pgm"},
      {ImageFormat::kPnm, 3, n, 1, "col.ppm"},
  };
  for (const Shape& s : shapes) {
    SCOPED_TRACE(s.file);
    const std::vector<uint8_t> pixels = random_pixels(size_t{s.c} * s.h * s.w, s.h + s.w + s.c);
    test::write_raw(dir.file(s.file), encode_image_file(s.format, s.c, s.h, s.w, pixels.data()));
    const ImageItem item = load_one(dir.file(s.file));
    expect_shape(item, s.format, s.c, s.h, s.w);
    EXPECT_EQ(item.pixels, pixels);
  }
  // Interlaced 1xN and Nx1 (some Adam7 passes are empty).
  const std::vector<std::pair<uint32_t, uint32_t>> thin = {{1, 37}, {37, 1}, {1, 1}};
  for (const auto& [h, w] : thin) {
    PngFixture f;
    f.w = w;
    f.h = h;
    f.interlace = PNG_INTERLACE_ADAM7;
    const auto v = pattern(h, w, 256, h * 100 + w);
    f.rows = v;
    write_png_fixture(dir.file("thin.png"), f);
    const ImageItem item = load_one(dir.file("thin.png"));
    expect_shape(item, ImageFormat::kPng, 1, h, w);
    for (uint32_t y = 0; y < h; ++y) {
      for (uint32_t x = 0; x < w; ++x) ASSERT_EQ(at(item, 0, y, x), v[y][x]);
    }
  }
}

// A PNG whose IHDR claims w x h RGBA, with an empty IDAT and IEND (no pixel data).
std::vector<uint8_t> png_header_only(uint32_t w, uint32_t h) {
  std::vector<uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto be32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  };
  be32(13);
  const size_t type_at = out.size();
  for (char ch : std::string("IHDR")) out.push_back(static_cast<uint8_t>(ch));
  be32(w);
  be32(h);
  out.insert(out.end(), {8, 6, 0, 0, 0});  // 8-bit RGBA, deflate, adaptive, no interlace
  be32(static_cast<uint32_t>(crc32(0, out.data() + type_at, 17)));
  for (const char* type : {"IDAT", "IEND"}) {
    be32(0);
    const size_t at = out.size();
    out.insert(out.end(), type, type + 4);
    be32(static_cast<uint32_t>(crc32(0, out.data() + at, 4)));
  }
  return out;
}

TEST(IoImageItems, HostileSizeIsRejectedBeforeAllocating) {
  TempDir dir;
  test::write_raw(dir.file("huge.png"), png_header_only(65536, 65536));  // 2^34 samples
  expect_input_error([&] { load_image_items({dir.file("huge.png")}); },
                     {dir.file("huge.png"), "too large"});
  // 16384 x 16385 RGBA is one row over the bound.
  test::write_raw(dir.file("over.png"), png_header_only(16384, 16385));
  expect_input_error([&] { load_image_items({dir.file("over.png")}); },
                     {dir.file("over.png"), "too large"});
  // A small one of the same construction is read up to the missing data, which is the error.
  test::write_raw(dir.file("small.png"), png_header_only(4, 4));
  expect_input_error([&] { load_image_items({dir.file("small.png")}); },
                     {dir.file("small.png"), "corrupt PNG"});
}

// A grey 8-bit PNG of w x h whose IDAT holds `raw` deflated (filter bytes included).
std::vector<uint8_t> grey_png_of(uint32_t w, uint32_t h, const std::vector<uint8_t>& raw) {
  std::vector<uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto be32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  };
  uLongf size = compressBound(raw.size());
  std::vector<uint8_t> idat(size);
  EXPECT_EQ(compress2(idat.data(), &size, raw.data(), raw.size(), 9), Z_OK);
  idat.resize(size);
  std::vector<uint8_t> ihdr;
  for (uint32_t v : {w, h})
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(static_cast<uint8_t>(v >> s));
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});
  for (const auto& [type, data] : {std::pair<std::string, std::vector<uint8_t>>{"IHDR", ihdr}, {"IDAT", idat}, {"IEND", {}}}) {
    be32(static_cast<uint32_t>(data.size()));
    const size_t at = out.size();
    out.insert(out.end(), type.begin(), type.end());
    out.insert(out.end(), data.begin(), data.end());
    be32(static_cast<uint32_t>(crc32(0, out.data() + at, static_cast<uInt>(4 + data.size()))));
  }
  return out;
}

// A PNG that declares more pixels than its bytes can hold (deflate expands at most ~1032:1) is
// refused before its buffer is allocated; widths up to 2^20 are read (libpng's default stops at
// 1,000,000), and written back.
TEST(IoImageItems, PngBombsAreRefusedAndWidePngsRead) {
  TempDir dir;
  test::write_raw(dir.file("bomb.png"), grey_png_of(32768, 32768, std::vector<uint8_t>(1000, 0)));
  expect_input_error([&] { load_image_items({dir.file("bomb.png")}); },
                     {dir.file("bomb.png"), "32768x32768", "decompression bomb"});
  std::vector<uint8_t> row(1 + 1000001, 5);
  row[0] = 0;  // filter: none
  test::write_raw(dir.file("wide.png"), grey_png_of(1000001, 1, row));
  const std::vector<ImageItem> items = load_image_items({dir.file("wide.png")});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].w, 1000001u);
  EXPECT_EQ(items[0].pixels, std::vector<uint8_t>(1000001, 5));
  const std::vector<uint8_t> png = encode_image_file(ImageFormat::kPng, 1, 1, 1000001, items[0].pixels.data());
  test::write_raw(dir.file("again.png"), png);
  EXPECT_EQ(load_image_items({dir.file("again.png")})[0].pixels, items[0].pixels);
  test::write_raw(dir.file("wider.png"), grey_png_of((1u << 20) + 1, 1, std::vector<uint8_t>(16, 0)));
  expect_input_error([&] { load_image_items({dir.file("wider.png")}); },
                     {dir.file("wider.png"), "1048577x1", "larger than 1048576"});
}

TEST(IoImageItems, SixteenBitIsAOneLineError) {
  TempDir dir;
  auto expect_exact = [](const std::string& path) {
    try {
      load_image_items({path});
      ADD_FAILURE() << "expected InputError for " << path;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()),
                path + ": 16-bit images are not supported (8 bits per sample only)");
    }
  };
  const std::vector<uint16_t> samples(12, 40000);
  test::write_fixture_png(dir.file("deep.png"), PNG_FORMAT_LINEAR_Y, 3, 4, samples.data());
  expect_exact(dir.file("deep.png"));
  test::write_fixture_png(dir.file("deep_rgba.png"), PNG_FORMAT_LINEAR_RGB_ALPHA, 1, 3,
                          samples.data());
  expect_exact(dir.file("deep_rgba.png"));
  std::string pgm = "P5 2 1 65535\n";
  pgm += std::string(4, '\x01');
  test::write_text(dir.file("deep.pgm"), pgm);
  expect_exact(dir.file("deep.pgm"));
  test::write_text(dir.file("deep.ppm"), "P3 1 1 1023\n1 2 3\n");
  expect_exact(dir.file("deep.ppm"));
  // Inside a directory: the message names the file.
  fs::create_directories(dir.file("d/e"));
  test::write_text(dir.file("d/e/deep.pgm"), pgm);
  expect_exact(dir.file("d") + "/e/deep.pgm");
  try {
    load_image_items({dir.file("d")});
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("d") +
                                         "/e/deep.pgm: 16-bit images are not supported (8 bits "
                                         "per sample only)");
  }
}

TEST(IoImageItems, NestedDirectorySortedWithNames) {
  TempDir dir;
  const std::string root = dir.file("photos");
  fs::create_directories(root + "/a/b");
  fs::create_directories(root + "/.hidden");
  fs::create_directories(root + "/empty");
  // Written in an order unrelated to the expected one.
  const auto p1 = random_pixels(3 * 5 * 3, 1), p2 = random_pixels(2 * 2, 2),
             p3 = random_pixels(3, 3), p4 = random_pixels(2 * 4 * 4, 4),
             p5 = random_pixels(7 * 2, 5), p6 = random_pixels(4 * 3 * 2, 6);
  write_png(root + "/a/b/c.png", 3, 5, 3, p1.data());
  test::write_raw(root + "/a/z.pgm", encode_image_file(ImageFormat::kPnm, 1, 2, 2, p2.data()));
  test::write_raw(root + "/a.ppm", encode_image_file(ImageFormat::kPnm, 3, 1, 1, p3.data()));
  write_png(root + "/A.png", 2, 4, 4, p4.data());
  write_png(root + "/a-b.PNG", 1, 7, 2, p5.data());
  write_png(root + "/b.pnm", 4, 3, 2, p6.data());  // PNG content, .pnm name: read by content
  write_png(root + "/.hidden/x.png", 1, 1, 1, p3.data());
  write_png(root + "/.dot.png", 1, 1, 1, p3.data());
  test::write_text(root + "/notes.txt", "not an image");
  test::write_text(root + "/a/b/readme", "not an image");
  std::error_code ec;
  fs::create_directory_symlink(root + "/a", root + "/link_to_a", ec);  // not followed

  const std::vector<ImageItem> items = load_image_items({root});
  const std::string base = rel_name(root);
  // Byte order: 'A' < 'a'; "a-b" < "a.ppm" < "a/..." ('-' < '.' < '/').
  const std::vector<std::string> names = {base + "/A.png",   base + "/a-b.PNG",
                                          base + "/a.ppm",   base + "/a/b/c.png",
                                          base + "/a/z.pgm", base + "/b.pnm"};
  ASSERT_EQ(items.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(items[i].name, names[i]) << i;
  expect_shape(items[0], ImageFormat::kPng, 2, 4, 4);
  EXPECT_EQ(items[0].pixels, p4);
  expect_shape(items[1], ImageFormat::kPng, 1, 7, 2);
  EXPECT_EQ(items[1].pixels, p5);
  expect_shape(items[2], ImageFormat::kPnm, 3, 1, 1);
  EXPECT_EQ(items[2].pixels, p3);
  expect_shape(items[3], ImageFormat::kPng, 3, 5, 3);
  EXPECT_EQ(items[3].pixels, p1);
  expect_shape(items[4], ImageFormat::kPnm, 1, 2, 2);
  EXPECT_EQ(items[4].pixels, p2);
  expect_shape(items[5], ImageFormat::kPng, 4, 3, 2);
  EXPECT_EQ(items[5].pixels, p6);

  // A subdirectory as given, with a trailing slash and "./" parts.
  const std::vector<ImageItem> sub = load_image_items({root + "/./a/"});
  ASSERT_EQ(sub.size(), 2u);
  EXPECT_EQ(sub[0].name, "a/b/c.png");  // an absolute directory: below its last part
  EXPECT_EQ(sub[1].name, "a/z.pgm");

  // An empty directory (or one with only hidden / other files) is an error.
  expect_input_error([&] { load_image_items({root + "/empty"}); },
                     {root + "/empty", "no PNG/PGM/PPM files"});
}

TEST(IoImageItems, RelativeNamesDropLeadingSlashAndDotDot) {
  TempDir dir;
  fs::create_directories(dir.file("photos/sub"));
  fs::create_directories(dir.file("work/deep"));
  const auto px = random_pixels(4, 7);
  write_png(dir.file("photos/cat.png"), 1, 2, 2, px.data());
  write_png(dir.file("photos/sub/dog.png"), 1, 2, 2, px.data());
  CwdGuard cwd(dir.file("work/deep"));
  auto names = [](const std::vector<std::string>& inputs) {
    std::vector<std::string> out;
    for (const ImageItem& item : load_image_items(inputs)) out.push_back(item.name);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names({"../../photos/cat.png"}), V{"photos/cat.png"});
  EXPECT_EQ(names({"../../photos"}), (V{"photos/cat.png", "photos/sub/dog.png"}));
  EXPECT_EQ(names({".././../photos/./sub/../sub/dog.png"}), V{"photos/sub/dog.png"});
  EXPECT_EQ(names({"../../photos/sub/"}), V{"photos/sub/dog.png"});
  EXPECT_EQ(names({dir.file("photos/cat.png")}), V{rel_name(dir.file("photos/cat.png"))});
  EXPECT_EQ(names({"//" + dir.file("photos/cat.png")}), V{rel_name(dir.file("photos/cat.png"))});
  {
    CwdGuard in_photos(dir.file("photos"));
    EXPECT_EQ(names({"."}), (V{"cat.png", "sub/dog.png"}));
    EXPECT_EQ(names({"./"}), (V{"cat.png", "sub/dog.png"}));
    EXPECT_EQ(names({"./cat.png", "sub"}), (V{"cat.png", "sub/dog.png"}));
    EXPECT_EQ(names({"sub/.."}), (V{"cat.png", "sub/dog.png"}));
  }
  // An absolute directory: its files below its last part.
  EXPECT_EQ(names({dir.file("photos/sub")}), V{"sub/dog.png"});
  EXPECT_EQ(names({dir.file("photos/sub/")}), V{"sub/dog.png"});
}

TEST(IoImageItems, DuplicateNamesNameBothInputs) {
  TempDir dir;
  fs::create_directories(dir.file("work/photos"));
  const auto px = random_pixels(4, 8);
  write_png(dir.file("work/photos/cat.png"), 1, 2, 2, px.data());
  write_png(dir.file("work/cat.png"), 3, 1, 1, px.data());
  CwdGuard cwd(dir.file("work"));
  expect_input_error([] { load_image_items({"photos/cat.png", "./photos/cat.png"}); },
                     {"photos/cat.png: two inputs have this name", "(photos/cat.png and "
                      "./photos/cat.png)"});
  expect_input_error([] { load_image_items({"photos", "photos/cat.png"}); },
                     {"photos/cat.png: two inputs have this name"});
  // Same name from "/a/x" and "x" and from "../x" and "x".
  const std::string abs = dir.file("work/photos/cat.png");
  {
    CwdGuard photos(dir.file("work/photos"));
    expect_input_error([&] { load_image_items({abs, "cat.png"}); },
                       {"cat.png: two inputs have this name", abs, " and cat.png"});
  }
  {
    // work/cat.png and work/photos/cat.png are both stored as "cat.png".
    CwdGuard photos(dir.file("work/photos"));
    expect_input_error([] { load_image_items({"cat.png", "../cat.png"}); },
                       {"cat.png: two inputs have this name", "(cat.png and ../cat.png)"});
  }
  expect_input_error([] { load_image_items({"fmnist:test:3", "fmnist:test:2"}); },
                     {"fmnist-test: two inputs have this name", "fmnist:test:3 and fmnist:test:2"});
  // Different names are fine.
  EXPECT_EQ(load_image_items({"fmnist:test:2", "fmnist:train:1", "photos"}).size(), 3u);
}

TEST(IoImageItems, IdxAndFashionMnistItems) {
  TempDir dir;
  const std::vector<ImageItem> fm = load_image_items({"fmnist:test:3"});
  ASSERT_EQ(fm.size(), 1u);
  expect_shape(fm[0], ImageFormat::kIdx, 1, 28, 28, 3);
  EXPECT_EQ(fm[0].name, "fmnist-test");
  EXPECT_EQ(fm[0].pixels, load_images({"fmnist:test:3"}).pixels);
  const std::vector<ImageItem> train = load_image_items({"fmnist:train:2"});
  EXPECT_EQ(train[0].name, "fmnist-train");
  EXPECT_EQ(train[0].count, 2u);

  ImageSet rgb;
  rgb.n = 3;
  rgb.c = 3;
  rgb.h = 4;
  rgb.w = 5;
  rgb.pixels = random_pixels(3 * 3 * 4 * 5, 9);
  rgb.names = {"a", "b", "c"};
  write_idx(dir.file("rgb.idx.gz"), rgb);
  ImageSet gray = load_images({"fmnist:test:4"});
  write_idx(dir.file("t10k.idx"), gray);
  const std::vector<ImageItem> items =
      load_image_items({dir.file("rgb.idx.gz"), dir.file("t10k.idx")});
  ASSERT_EQ(items.size(), 2u);
  expect_shape(items[0], ImageFormat::kIdx, 3, 4, 5, 3);
  EXPECT_EQ(items[0].pixels, rgb.pixels);
  EXPECT_EQ(items[0].name, rel_name(dir.file("rgb.idx.gz")));
  expect_shape(items[1], ImageFormat::kIdx, 1, 28, 28, 4);
  EXPECT_EQ(items[1].pixels, gray.pixels);
  EXPECT_EQ(item_output_name(items[1], 3), rel_name(dir.file("t10k-00003.png")));

  // A directory does not pick up IDX files.
  expect_input_error([&] { load_image_items({dir.path()}); }, {dir.path(), "no PNG/PGM/PPM"});
  expect_input_error([] { load_image_items({"fmnist:test:20000"}); },
                     {"fmnist:test:20000", "only 10000"});
  expect_input_error([] { load_image_items({"fmnist:nope"}); }, {"fmnist:nope", "unknown"});
}

TEST(IoImageItems, ItemOutputNames) {
  ImageItem item;
  item.format = ImageFormat::kIdx;
  item.count = 20;
  item.name = "t10k.idx";
  EXPECT_EQ(item_output_name(item, 17), "t10k-00017.png");
  item.name = "fmnist-test";
  EXPECT_EQ(item_output_name(item, 17), "fmnist-test-00017.png");
  EXPECT_EQ(item_output_name(item, 0), "fmnist-test-00000.png");
  item.name = "data/t10k-images-idx3-ubyte.gz";
  EXPECT_EQ(item_output_name(item, 17), "data/t10k-images-idx3-00017.png");
  item.name = "mnist/x.IDX.GZ";
  EXPECT_EQ(item_output_name(item, 1), "mnist/x-00001.png");
  item.name = "raw.idx.gz.idx";  // every trailing suffix goes
  EXPECT_EQ(item_output_name(item, 1), "raw-00001.png");
  item.name = "d.idx/.idx";  // never stripped down to nothing; directories untouched
  EXPECT_EQ(item_output_name(item, 2), "d.idx/.idx-00002.png");
  item.count = 200000;
  item.name = "big.idx";
  EXPECT_EQ(item_output_name(item, 17), "big-000017.png");
  EXPECT_EQ(item_output_name(item, 199999), "big-199999.png");
  EXPECT_THROW(item_output_name(item, 200000), std::invalid_argument);

  ImageItem png;
  png.name = "photos/sub/cat.png";
  EXPECT_EQ(item_output_name(png, 0), "photos/sub/cat.png");
  png.format = ImageFormat::kPnm;
  png.name = "a/b.pgm";
  EXPECT_EQ(item_output_name(png, 0), "a/b.pgm");
  EXPECT_THROW(item_output_name(png, 1), std::invalid_argument);
}

TEST(IoImageItems, BadInputsAreOneLineErrors) {
  TempDir dir;
  expect_input_error([] { load_image_items({}); }, {"no inputs"});
  expect_input_error([&] { load_image_items({dir.file("missing.png")}); },
                     {dir.file("missing.png"), "no such file or directory"});
  test::write_text(dir.file("empty.png"), "");
  expect_input_error([&] { load_image_items({dir.file("empty.png")}); },
                     {dir.file("empty.png"), "empty file"});
  test::write_text(dir.file("gif.png"), "GIF89a....");
  expect_input_error([&] { load_image_items({dir.file("gif.png")}); },
                     {dir.file("gif.png"), "unrecognized file type"});
  test::write_text(dir.file("dim.pgm"), "P2 2 1 15\n1 2\n");
  expect_input_error([&] { load_image_items({dir.file("dim.pgm")}); },
                     {dir.file("dim.pgm"), "maxval 15"});
  // One bad file anywhere fails the whole load.
  fs::create_directories(dir.file("d/sub"));
  const auto px = random_pixels(4, 9);
  write_png(dir.file("d/a.png"), 1, 2, 2, px.data());
  std::vector<uint8_t> cut = encode_image_file(ImageFormat::kPng, 1, 2, 2, px.data());
  cut.resize(cut.size() - 20);
  test::write_raw(dir.file("d/sub/z.png"), cut);
  expect_input_error([&] { load_image_items({dir.file("d")}); },
                     {dir.file("d") + "/sub/z.png", "truncated PNG"});
  std::vector<uint8_t> flipped = encode_image_file(ImageFormat::kPng, 1, 2, 2, px.data());
  flipped[flipped.size() - 20] ^= 0x40;
  test::write_raw(dir.file("flip.png"), flipped);
  expect_input_error([&] { load_image_items({dir.file("flip.png")}); },
                     {dir.file("flip.png"), "PNG"});
}

TEST(IoImageItems, TruncatedPngsOfEveryKindFailCleanly) {
  TempDir dir;
  PngFixture f;
  f.w = 9;
  f.h = 8;
  f.color_type = PNG_COLOR_TYPE_PALETTE;
  f.interlace = PNG_INTERLACE_ADAM7;
  f.palette = {{0, 1, 2}, {3, 4, 5}};
  f.palette_alpha = {9};
  f.rows = pattern(8, 9, 2, 50);
  write_png_fixture(dir.file("full.png"), f);
  const std::vector<uint8_t> bytes = test::read_raw(dir.file("full.png"));
  EXPECT_NO_THROW(load_one(dir.file("full.png")));
  for (size_t keep = 8; keep < bytes.size(); ++keep) {
    test::write_raw(dir.file("cut.png"), std::vector<uint8_t>(bytes.begin(), bytes.begin() + keep));
    expect_input_error([&] { load_image_items({dir.file("cut.png")}); },
                       {dir.file("cut.png"), "PNG"});
  }
}

}  // namespace
}  // namespace lbb
