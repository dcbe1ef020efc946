// Every kind of bad input is an InputError whose one-line message names the input and
// says what is wrong.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "io/file_bytes.h"
#include "io/images.h"
#include "io_test_util.h"

namespace lbb {
namespace {

using test::expect_input_error;
using test::TempDir;

void load(const std::vector<std::string>& inputs) { load_images(inputs); }

std::string gray_png(const TempDir& dir, const std::string& name, uint32_t h, uint32_t w) {
  std::vector<uint8_t> pixels(size_t{h} * w, 7);
  test::write_fixture_png(dir.file(name), PNG_FORMAT_GRAY, h, w, pixels.data());
  return dir.file(name);
}

TEST(IoInputErrors, SixteenBitPng) {
  TempDir dir;
  const std::vector<uint16_t> samples(12, 40000);
  const std::string path = dir.file("deep.png");
  test::write_fixture_png(path, PNG_FORMAT_LINEAR_Y, 3, 4, samples.data());
  expect_input_error([&] { load({path}); },
                     {path, "16-bit PNG not supported (8-bit grayscale or RGB only)"});
}

TEST(IoInputErrors, PalettePng) {
  TempDir dir;
  const uint8_t palette[6] = {0, 0, 0, 255, 0, 0};
  const uint8_t indices[4] = {0, 1, 1, 0};
  const std::string path = dir.file("pal.png");
  test::write_fixture_png(path, PNG_FORMAT_RGB_COLORMAP, 2, 2, indices, palette, 2);
  expect_input_error([&] { load({path}); }, {path, "palette PNG not supported"});
}

TEST(IoInputErrors, AlphaPngs) {
  TempDir dir;
  const std::vector<uint8_t> samples(64, 9);
  test::write_fixture_png(dir.file("rgba.png"), PNG_FORMAT_RGBA, 2, 2, samples.data());
  test::write_fixture_png(dir.file("ga.png"), PNG_FORMAT_GA, 2, 2, samples.data());
  expect_input_error([&] { load({dir.file("rgba.png")}); },
                     {dir.file("rgba.png"), "RGBA PNG not supported"});
  expect_input_error([&] { load({dir.file("ga.png")}); },
                     {dir.file("ga.png"), "grayscale+alpha PNG not supported"});
}

TEST(IoInputErrors, LowBitDepthPng) {
  TempDir dir;
  std::vector<std::vector<uint8_t>> rows(2, std::vector<uint8_t>(1, 0x5a));
  const std::string path = dir.file("nibbles.png");
  test::write_fixture_png_classic(path, 2, 2, 4, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, rows);
  expect_input_error([&] { load({path}); }, {path, "4-bit PNG not supported"});
}

TEST(IoInputErrors, TransparentPng) {
  TempDir dir;
  std::vector<std::vector<uint8_t>> rows(2, std::vector<uint8_t>(2, 0));
  const std::string path = dir.file("key.png");
  test::write_fixture_png_classic(path, 2, 2, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, rows,
                                  /*gray_key_transparency=*/true);
  expect_input_error([&] { load({path}); }, {path, "PNG with transparency (tRNS chunk) not supported"});
}

TEST(IoInputErrors, TruncatedAndCorruptPng) {
  TempDir dir;
  const std::string good = gray_png(dir, "good.png", 16, 16);
  std::vector<uint8_t> bytes = test::read_raw(good);
  // Cut anywhere after the signature: always a clean error, never a crash or a success.
  for (size_t keep = 8; keep < bytes.size(); keep += 3) {
    const std::string path = dir.file("cut.png");
    test::write_raw(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + keep));
    expect_input_error([&] { load({path}); }, {path, "PNG"});
  }
  const std::string path = dir.file("cut.png");
  test::write_raw(path, std::vector<uint8_t>(bytes.begin(), bytes.end() - 20));
  expect_input_error([&] { load({path}); }, {path, "truncated PNG"});

  std::vector<uint8_t> flipped = bytes;
  flipped[bytes.size() - 20] ^= 0x40;  // inside the IDAT chunk: CRC mismatch
  test::write_raw(dir.file("flip.png"), flipped);
  expect_input_error([&] { load({dir.file("flip.png")}); }, {dir.file("flip.png"), "corrupt PNG"});
}

TEST(IoInputErrors, MixedSizesInDirectory) {
  TempDir dir;
  gray_png(dir, "a.png", 4, 4);
  const std::string b = gray_png(dir, "b.png", 5, 4);
  expect_input_error([&] { load({dir.path()}); },
                     {b, "1x5x4", "1x4x4", "all images must have the same channels and size"});
}

TEST(IoInputErrors, MixedChannelsAcrossInputs) {
  TempDir dir;
  const std::string gray = gray_png(dir, "gray.png", 28, 28);
  const std::vector<uint8_t> rgb(28 * 28 * 3, 1);
  test::write_fixture_png(dir.file("rgb.png"), PNG_FORMAT_RGB, 28, 28, rgb.data());
  expect_input_error([&] { load({gray, dir.file("rgb.png")}); },
                     {dir.file("rgb.png"), "3x28x28", "all images must have the same"});
  expect_input_error([&] { load({"fmnist:test:2", dir.file("rgb.png")}); },
                     {dir.file("rgb.png"), "fmnist:test#0"});
}

TEST(IoInputErrors, EmptyDirectoryAndMissingPath) {
  TempDir dir;
  test::write_text(dir.file("readme.txt"), "no images here");
  expect_input_error([&] { load({dir.path()}); }, {dir.path(), "no PNG/PGM/PPM files"});
  const std::string missing = dir.file("nope/a.png");
  expect_input_error([&] { load({missing}); }, {missing, "no such file or directory"});
  expect_input_error([&] { load({}); }, {"no inputs"});
}

TEST(IoInputErrors, FashionMnistSpecs) {
  expect_input_error([] { load({"fmnist:test:20000"}); },
                     {"fmnist:test:20000", "asked for 20000 images", "only 10000"});
  expect_input_error([] { load({"fmnist:bogus"}); },
                     {"fmnist:bogus", "unknown Fashion-MNIST split 'bogus'"});
  expect_input_error([] { load({"fmnist:test:abc"}); }, {"fmnist:test:abc", "bad image count"});
  expect_input_error([] { load({"fmnist:test:0"}); }, {"fmnist:test:0", "must be positive"});
  expect_input_error([] { load({"fmnist:test:5:6"}); }, {"fmnist:test:5:6", "bad image count"});

  TempDir dir;
  ASSERT_EQ(::setenv("LBB_FMNIST_DIR", dir.path().c_str(), 1), 0);
  expect_input_error([] { load({"fmnist:train:3"}); },
                     {"fmnist:train:3", "cannot find", "LBB_FMNIST_DIR"});
  ::unsetenv("LBB_FMNIST_DIR");
}

TEST(IoInputErrors, Netpbm) {
  TempDir dir;
  std::string deep = "P5 2 1 65535\n";
  deep += std::string(4, '\x01');
  test::write_text(dir.file("deep.pgm"), deep);
  expect_input_error([&] { load({dir.file("deep.pgm")}); },
                     {dir.file("deep.pgm"), "PGM with maxval 65535 > 255 not supported"});
  test::write_text(dir.file("dim.pgm"), "P2 2 1 15\n1 2\n");
  expect_input_error([&] { load({dir.file("dim.pgm")}); }, {dir.file("dim.pgm"), "maxval 15"});
  test::write_text(dir.file("short.ppm"), "P6 2 2 255\nabcdef");
  expect_input_error([&] { load({dir.file("short.ppm")}); },
                     {dir.file("short.ppm"), "truncated PPM"});
  test::write_text(dir.file("long.pgm"), "P5 1 1 255\nab");
  expect_input_error([&] { load({dir.file("long.pgm")}); },
                     {dir.file("long.pgm"), "trailing data"});
  test::write_text(dir.file("big.pgm"), "P2 2 1 255\n1 256\n");
  expect_input_error([&] { load({dir.file("big.pgm")}); },
                     {dir.file("big.pgm"), "exceeds maxval"});
  test::write_text(dir.file("huge.pgm"), "P5 2000000000 2000000000 255\n\x01");
  expect_input_error([&] { load({dir.file("huge.pgm")}); }, {dir.file("huge.pgm"), "too large"});
  test::write_text(dir.file("bits.pbm"), "P4 8 1\n\x01");
  expect_input_error([&] { load({dir.file("bits.pbm")}); }, {dir.file("bits.pbm"), "PBM"});
}

TEST(IoInputErrors, IdxProblems) {
  TempDir dir;
  // Valid header for 2 images of 2x2, but only 5 data bytes.
  std::vector<uint8_t> idx = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5};
  test::write_raw(dir.file("short.idx"), idx);
  expect_input_error([&] { load({dir.file("short.idx")}); },
                     {dir.file("short.idx"), "truncated IDX"});
  idx.resize(16 + 8);
  test::write_raw(dir.file("ok.idx.gz"), gzip_bytes(idx.data(), idx.size()));
  EXPECT_EQ(load_images({dir.file("ok.idx.gz")}).n, 2u);
  std::vector<uint8_t> gz = gzip_bytes(idx.data(), idx.size());
  gz.resize(gz.size() - 6);
  test::write_raw(dir.file("cut.idx.gz"), gz);
  expect_input_error([&] { load({dir.file("cut.idx.gz")}); },
                     {dir.file("cut.idx.gz"), "truncated gzip"});
  idx.push_back(0);
  test::write_raw(dir.file("long.idx"), idx);
  expect_input_error([&] { load({dir.file("long.idx")}); }, {dir.file("long.idx"), "trailing"});
  test::write_raw(dir.file("float.idx"), {0, 0, 0x0D, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0});
  expect_input_error([&] { load({dir.file("float.idx")}); },
                     {dir.file("float.idx"), "float32 not supported"});
  test::write_raw(dir.file("labels.idx"), {0, 0, 8, 1, 0, 0, 0, 2, 3, 4});
  expect_input_error([&] { load({dir.file("labels.idx")}); },
                     {dir.file("labels.idx"), "labels file"});
  test::write_raw(dir.file("c4.idx"), {0, 0, 8, 4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4, 1, 2, 3, 4});
  expect_input_error([&] { load({dir.file("c4.idx")}); }, {dir.file("c4.idx"), "c = 4"});
  test::write_raw(dir.file("none.idx"), {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1});
  expect_input_error([&] { load({dir.file("none.idx")}); }, {dir.file("none.idx"), "no images"});
  expect_input_error([] { load({"/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"}); },
                     {"t10k-labels-idx1-ubyte.gz", "labels file"});
}

TEST(IoInputErrors, UnknownAndEmptyFiles) {
  TempDir dir;
  test::write_text(dir.file("a.png"), "GIF89a....");
  expect_input_error([&] { load({dir.file("a.png")}); },
                     {dir.file("a.png"), "unrecognized file type"});
  test::write_text(dir.file("empty.png"), "");
  expect_input_error([&] { load({dir.file("empty.png")}); }, {dir.file("empty.png"), "empty file"});
}

// A FIFO, a device or a socket given as an input is refused at once, unread (a FIFO with no
// writer would block an ordinary open; /dev/zero would be read until memory runs out).
TEST(IoInputErrors, NonRegularFilesAreRefusedUnread) {
  TempDir dir;
  const std::string fifo = dir.file("pipe.png");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {fifo, std::string("/dev/zero")}) {
    expect_input_error([&] { load_image_items({path}); }, {path, "not a regular file"});
    expect_input_error([&] { read_file_bytes(path); }, {path, "not a regular file"});
  }
}

// Inside an input directory a broken link, a FIFO or a socket is an error naming it, not skipped.
TEST(IoInputErrors, OddEntriesOfInputDirectoriesAreNamed) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("d/sub"));
  gray_png(dir, "d/a.png", 2, 2);
  std::filesystem::create_symlink(dir.file("d/gone.png"), dir.file("d/sub/broken.png"));
  expect_input_error([&] { load_image_items({dir.file("d")}); }, {"d/sub/broken.png", "broken symbolic link"});
  std::filesystem::remove(dir.file("d/sub/broken.png"));
  ASSERT_EQ(mkfifo(dir.file("d/sub/fifo").c_str(), 0600), 0);
  expect_input_error([&] { load_image_items({dir.file("d")}); }, {"d/sub/fifo", "not a regular file"});
  std::filesystem::remove(dir.file("d/sub/fifo"));
  EXPECT_EQ(load_image_items({dir.file("d")}).size(), 1u);
}

// A gzipped IDX file inflates no further than its header declares: a header that declares more
// than the gzip data can hold, or data beyond the declared size, fails at once.
TEST(IoInputErrors, GzipBombsStopAtTheDeclaredSize) {
  TempDir dir;
  std::vector<uint8_t> idx = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28};
  idx.resize(idx.size() + (size_t{64} << 20), 0);  // 1 image of 28x28, then 64 MiB of zeros
  test::write_raw(dir.file("bomb.idx.gz"), gzip_bytes(idx.data(), idx.size()));
  expect_input_error([&] { load_image_items({dir.file("bomb.idx.gz")}); },
                     {"bomb.idx.gz", "inflates to more than the 800 bytes"});
  // 2^32-1 images of 28x28 declared in a few hundred bytes.
  std::vector<uint8_t> big = {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28};
  big.resize(big.size() + 1000, 0);
  test::write_raw(dir.file("claim.idx.gz"), gzip_bytes(big.data(), big.size()));
  expect_input_error([&] { load_image_items({dir.file("claim.idx.gz")}); },
                     {"claim.idx.gz", "more than", "bytes of gzip data can hold"});
  std::vector<uint8_t> text(100000, 'x');
  test::write_raw(dir.file("text.gz"), gzip_bytes(text.data(), text.size()));
  expect_input_error([&] { load_image_items({dir.file("text.gz")}); }, {"text.gz", "does not contain an IDX array"});
}

}  // namespace
}  // namespace lbb
