// The direct (no bits-back) image model: exact round trips and sensible rates.
#include <gtest/gtest.h>

#include "io/images.h"
#include "model/context_image_model.h"

namespace lbb {
namespace {

TEST(ContextImageModel, RoundTripAndCodelength) {
  ImageSet train = load_images({"fmnist:train:2000"});
  ContextImageModel model = ContextImageModel::fit(train.pixels.data(), train.n, 1, 28, 28);
  ImageSet test = load_images({"fmnist:test:50"});
  Message m;
  const Message initial = m;
  const double before = m.bits();
  double expected = 0;
  for (uint32_t i = 0; i < test.n; ++i) {
    model.push_image(m, test.image(i), 28, 28);
    expected += model.image_bits(test.image(i), 28, 28);
  }
  const double coded = m.bits() - before;
  EXPECT_NEAR(coded, expected, 1e-6 * expected + 1);
  const double bpd = coded / (test.n * 784.0);
  // PNG needs ≈ 5 bpd on single Fashion-MNIST images; this model must do clearly better.
  EXPECT_LT(bpd, 4.5) << bpd;
  EXPECT_GT(bpd, 2.0) << bpd;
  std::vector<uint8_t> out(784);
  for (uint32_t i = test.n; i-- > 0;) {
    model.pop_image(m, out.data(), 28, 28);
    ASSERT_TRUE(std::equal(out.begin(), out.end(), test.image(i))) << "image " << i;
  }
  EXPECT_TRUE(m == initial);
}

TEST(ContextImageModel, StoredFrequenciesRebuildTheSameModel) {
  ImageSet train = load_images({"fmnist:train:100"});
  ContextImageModel a = ContextImageModel::fit(train.pixels.data(), train.n, 1, 28, 28);
  ContextImageModel b(1, a.frequencies());
  for (uint32_t i = 0; i < 5; ++i)
    EXPECT_EQ(a.image_bits(train.image(i), 28, 28), b.image_bits(train.image(i), 28, 28));
  std::vector<uint32_t> bad = a.frequencies();
  bad[7] = 0;
  EXPECT_THROW(ContextImageModel(1, bad), std::invalid_argument);
  EXPECT_THROW(ContextImageModel(1, std::vector<uint32_t>(10, 1)), std::invalid_argument);
}

TEST(ContextImageModel, RgbAndUnseenContextsRoundTrip) {
  // Random RGB images: most contexts unseen in the 3 training images; still lossless.
  std::vector<uint8_t> imgs(4 * 3 * 9 * 7);
  uint32_t s = 12345;
  for (auto& v : imgs) v = static_cast<uint8_t>((s = s * 1103515245u + 12345u) >> 24);
  ContextImageModel model = ContextImageModel::fit(imgs.data(), 3, 3, 9, 7);
  Message m;
  const Message initial = m;
  const uint8_t* last = imgs.data() + 3 * 3 * 9 * 7;
  model.push_image(m, last, 9, 7);
  std::vector<uint8_t> out(3 * 9 * 7);
  model.pop_image(m, out.data(), 9, 7);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), last));
  EXPECT_TRUE(m == initial);
}

}  // namespace
}  // namespace lbb
