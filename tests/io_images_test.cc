// Loading and writing images: Fashion-MNIST, IDX, PNG, PGM/PPM, directories, grids.
#include <gtest/gtest.h>

#include <cstdlib>
#include <numeric>
#include <random>

#include "io/file_bytes.h"
#include "io/images.h"
#include "io_test_util.h"

namespace lbb {
namespace {

using test::TempDir;

uint64_t image_sum(const ImageSet& set, uint32_t i) {
  return std::accumulate(set.image(i), set.image(i) + set.image_size(), uint64_t{0});
}

ImageSet random_set(uint32_t n, uint32_t c, uint32_t h, uint32_t w, uint32_t seed) {
  std::mt19937 rng(seed);
  ImageSet set;
  set.n = n;
  set.c = c;
  set.h = h;
  set.w = w;
  set.pixels.resize(size_t{n} * c * h * w);
  for (auto& v : set.pixels) v = static_cast<uint8_t>(rng());
  for (uint32_t i = 0; i < n; ++i) set.names.push_back("random#" + std::to_string(i));
  return set;
}

TEST(IoImages, FashionMnistTestFirstFive) {
  const ImageSet set = load_images({"fmnist:test:5"});
  ASSERT_EQ(set.n, 5u);
  EXPECT_EQ(set.c, 1u);
  EXPECT_EQ(set.h, 28u);
  EXPECT_EQ(set.w, 28u);
  ASSERT_EQ(set.pixels.size(), 5u * 28 * 28);
  // Reference values computed independently (Python gzip + struct) from t10k-images.
  const uint64_t sums[5] = {33456, 100994, 51520, 35377, 62655};
  for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(image_sum(set, i), sums[i]) << i;
  EXPECT_EQ(set.image(0)[14 * 28 + 14], 110);
  EXPECT_EQ(set.image(1)[14 * 28 + 14], 234);
  EXPECT_EQ(set.names[0], "fmnist:test#0");
  EXPECT_EQ(set.names[4], "fmnist:test#4");
}

TEST(IoImages, FashionMnistTrainFirstThree) {
  const ImageSet set = load_images({"fmnist:train:3"});
  ASSERT_EQ(set.n, 3u);
  EXPECT_EQ(set.image_size(), 784u);
  const uint64_t sums[3] = {76247, 84598, 28662};
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(image_sum(set, i), sums[i]) << i;
  EXPECT_EQ(set.image(2)[14 * 28 + 14], 85);
  EXPECT_EQ(set.names[2], "fmnist:train#2");
}

TEST(IoImages, FashionMnistDirectoryOverride) {
  TempDir dir;
  ImageSet fake = random_set(4, 1, 6, 5, 1);
  write_idx(dir.file("t10k-images-idx3-ubyte.gz"), fake);
  ASSERT_EQ(::setenv("LBB_FMNIST_DIR", dir.path().c_str(), 1), 0);
  ImageSet all, two;
  EXPECT_NO_THROW(all = load_images({"fmnist:test"}));
  EXPECT_NO_THROW(two = load_images({"fmnist:test:2"}));
  ::unsetenv("LBB_FMNIST_DIR");
  EXPECT_EQ(all.n, 4u);
  EXPECT_EQ(all.pixels, fake.pixels);
  ASSERT_EQ(two.n, 2u);
  EXPECT_TRUE(std::equal(two.pixels.begin(), two.pixels.end(), fake.pixels.begin()));
}

TEST(IoImages, IdxRoundTripGray) {
  TempDir dir;
  const ImageSet set = load_images({"fmnist:test:5"});
  const std::string path = dir.file("five.idx");
  write_idx(path, set);
  EXPECT_EQ(test::read_raw(path).size(), 16u + 5 * 784);
  const ImageSet back = load_images({path});
  EXPECT_EQ(back.n, 5u);
  EXPECT_EQ(back.c, 1u);
  EXPECT_EQ(back.pixels, set.pixels);
  EXPECT_EQ(back.names[3], path + "#3");
}

TEST(IoImages, IdxRoundTripRgbGzipped) {
  TempDir dir;
  const ImageSet set = random_set(3, 3, 4, 7, 2);
  const std::string path = dir.file("rgb.idx.gz");
  write_idx(path, set);
  EXPECT_TRUE(has_gzip_magic(test::read_raw(path)));
  const ImageSet back = load_images({path});
  EXPECT_EQ(back.c, 3u);
  EXPECT_EQ(back.h, 4u);
  EXPECT_EQ(back.w, 7u);
  EXPECT_EQ(back.pixels, set.pixels);
  // In the file the channels are last (HWC): check one sample by hand.
  const std::vector<uint8_t> raw = gunzip_bytes(test::read_raw(path), path);
  ASSERT_EQ(raw[3], 4);  // 4 dimensions
  const size_t plane = 4 * 7;
  EXPECT_EQ(raw[20 + 5 * 3 + 2], set.pixels[2 * plane + 5]);  // image 0, pixel 5, blue
}

TEST(IoImages, PngGrayRoundTrip) {
  TempDir dir;
  const ImageSet set = random_set(1, 1, 5, 7, 3);
  const std::string path = dir.file("gray.png");
  write_png(path, 1, 5, 7, set.image(0));
  const ImageSet back = load_images({path});
  EXPECT_EQ(back.n, 1u);
  EXPECT_EQ(back.c, 1u);
  EXPECT_EQ(back.h, 5u);
  EXPECT_EQ(back.w, 7u);
  EXPECT_EQ(back.pixels, set.pixels);
  EXPECT_EQ(back.names[0], path);
}

TEST(IoImages, PngRgbRoundTrip) {
  TempDir dir;
  const ImageSet set = random_set(1, 3, 9, 4, 4);
  const std::string path = dir.file("rgb.png");
  write_png(path, 3, 9, 4, set.image(0));
  const ImageSet back = load_images({path});
  EXPECT_EQ(back.c, 3u);
  EXPECT_EQ(back.h, 9u);
  EXPECT_EQ(back.w, 4u);
  EXPECT_EQ(back.pixels, set.pixels);
}

TEST(IoImages, PngWrittenByLibpngIsPlanarAfterLoading) {
  TempDir dir;
  // 2x2 RGB, interleaved as PNG stores it.
  const uint8_t rgb[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  test::write_fixture_png(dir.file("a.png"), PNG_FORMAT_RGB, 2, 2, rgb);
  const ImageSet set = load_images({dir.file("a.png")});
  const std::vector<uint8_t> planar = {1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12};
  EXPECT_EQ(set.pixels, planar);
}

TEST(IoImages, InterlacedPng) {
  TempDir dir;
  const uint32_t h = 11, w = 13;
  std::vector<std::vector<uint8_t>> rows(h, std::vector<uint8_t>(w));
  std::vector<uint8_t> expected;
  for (uint32_t y = 0; y < h; ++y) {
    for (uint32_t x = 0; x < w; ++x) {
      rows[y][x] = static_cast<uint8_t>(y * 17 + x * 3);
      expected.push_back(rows[y][x]);
    }
  }
  test::write_fixture_png_classic(dir.file("adam7.png"), w, h, 8, PNG_COLOR_TYPE_GRAY,
                                  PNG_INTERLACE_ADAM7, rows);
  const ImageSet set = load_images({dir.file("adam7.png")});
  EXPECT_EQ(set.pixels, expected);
}

TEST(IoImages, PgmBinaryAndAscii) {
  TempDir dir;
  std::string p5 = "P5\n# a comment\n3 2\n255\n";
  p5 += std::string("\x00\x01\x02\xfd\xfe\xff", 6);
  test::write_text(dir.file("a.pgm"), p5);
  test::write_text(dir.file("b.pgm"), "P2 # comment\n3 2 255\n 0 1 2\n253 254 255\n");
  const ImageSet set = load_images({dir.file("a.pgm"), dir.file("b.pgm")});
  ASSERT_EQ(set.n, 2u);
  EXPECT_EQ(set.c, 1u);
  EXPECT_EQ(set.h, 2u);
  EXPECT_EQ(set.w, 3u);
  const std::vector<uint8_t> expected = {0, 1, 2, 253, 254, 255, 0, 1, 2, 253, 254, 255};
  EXPECT_EQ(set.pixels, expected);
}

TEST(IoImages, PpmBinaryAndAscii) {
  TempDir dir;
  // 2x1 RGB: (10,20,30) (40,50,60).
  std::string p6 = "P6 2 1 255\n";
  p6 += std::string("\x0a\x14\x1e\x28\x32\x3c", 6);
  test::write_text(dir.file("a.ppm"), p6);
  test::write_text(dir.file("b.ppm"), "P3\n2 1\n255\n10 20 30 40 50 60\n");
  const ImageSet set = load_images({dir.file("a.ppm"), dir.file("b.ppm")});
  ASSERT_EQ(set.n, 2u);
  EXPECT_EQ(set.c, 3u);
  const std::vector<uint8_t> planar = {10, 40, 20, 50, 30, 60};
  EXPECT_TRUE(std::equal(planar.begin(), planar.end(), set.image(0)));
  EXPECT_TRUE(std::equal(planar.begin(), planar.end(), set.image(1)));
}

TEST(IoImages, DirectorySortedByNameSkippingOtherFiles) {
  TempDir dir;
  const ImageSet set = random_set(3, 1, 4, 4, 5);
  write_png(dir.file("b.png"), 1, 4, 4, set.image(1));
  write_png(dir.file("a.png"), 1, 4, 4, set.image(0));
  std::string pgm = "P5 4 4 255\n";
  pgm.append(reinterpret_cast<const char*>(set.image(2)), 16);
  test::write_text(dir.file("c.PGM"), pgm);
  test::write_text(dir.file("notes.txt"), "not an image");
  test::write_text(dir.file("._a.png"), "resource fork litter");
  std::filesystem::create_directory(dir.file("sub"));
  const ImageSet back = load_images({dir.path()});
  ASSERT_EQ(back.n, 3u);
  EXPECT_EQ(back.pixels, set.pixels);
  EXPECT_EQ(back.names[0], dir.file("a.png"));
  EXPECT_EQ(back.names[2], dir.file("c.PGM"));
}

TEST(IoImages, InputsAreConcatenatedInOrder) {
  TempDir dir;
  const ImageSet fm = load_images({"fmnist:test:2"});
  write_png(dir.file("x.png"), 1, 28, 28, fm.image(1));
  const ImageSet set = load_images({dir.file("x.png"), "fmnist:test:2"});
  ASSERT_EQ(set.n, 3u);
  EXPECT_TRUE(std::equal(fm.image(1), fm.image(1) + 784, set.image(0)));
  EXPECT_TRUE(std::equal(fm.pixels.begin(), fm.pixels.end(), set.image(1)));
  EXPECT_EQ(set.names[1], "fmnist:test#0");
}

TEST(IoImages, PngGrid) {
  TempDir dir;
  ImageSet set = random_set(5, 3, 4, 6, 8);
  const std::string path = dir.file("grid.png");
  write_png_grid(path, set, 3);
  const ImageSet grid = load_images({path});
  const uint32_t pad = kGridPadding;
  EXPECT_EQ(grid.c, 3u);
  EXPECT_EQ(grid.w, 3 * (6 + pad) + pad);
  EXPECT_EQ(grid.h, 2 * (4 + pad) + pad);
  const size_t plane = size_t{grid.h} * grid.w;
  // Image 4 sits in row 1, column 1; check its every sample.
  for (uint32_t k = 0; k < 3; ++k) {
    for (uint32_t y = 0; y < 4; ++y) {
      for (uint32_t x = 0; x < 6; ++x) {
        const size_t gy = pad + (4 + pad) + y, gx = pad + (6 + pad) + x;
        ASSERT_EQ(grid.pixels[k * plane + gy * grid.w + gx], set.image(4)[(k * 4 + y) * 6 + x]);
      }
    }
  }
  EXPECT_EQ(grid.pixels[0], kGridPadValue);
  EXPECT_EQ(grid.pixels[plane - 1], kGridPadValue);  // the empty sixth cell is padding too
  write_png_grid(path, set, 0);                       // auto: ceil(sqrt(5)) = 3 columns
  EXPECT_EQ(load_images({path}).w, grid.w);
}

TEST(IoImages, CheckImageSetCatchesBrokenInvariants) {
  ImageSet set = random_set(2, 1, 3, 3, 9);
  EXPECT_NO_THROW(check_image_set(set));
  set.pixels.pop_back();
  EXPECT_THROW(check_image_set(set), std::invalid_argument);
  set = random_set(2, 2, 3, 3, 9);
  EXPECT_THROW(check_image_set(set), std::invalid_argument);
  EXPECT_THROW(write_png("/nonexistent/x.png", 5, 3, 3, set.pixels.data()), std::invalid_argument);
}

}  // namespace
}  // namespace lbb
