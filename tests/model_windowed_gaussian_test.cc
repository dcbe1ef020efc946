#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "model/windowed_gaussian.h"

namespace lbb {
namespace {

const GridSpec kLatentGrid{-2048.0, 32, uint64_t{1} << 44};  // the coder's latent grid at k = 32

// A message holding `words` pseudo-random 32-bit words, so pops read well-mixed bits.
Message random_message(uint64_t seed, int words) {
  std::mt19937_64 rng(seed);
  Message m;
  for (int i = 0; i < words; ++i) m.push(rng() >> 32, uint64_t{1} << 31);
  return m;
}

TEST(ModelWindowedGaussian, PushPopRoundTripInsideAndOutsideTheWindow) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> mu(-300, 300), logs(-20, 1), far(-2048, 2048);
  std::normal_distribution<double> nd;
  const size_t n = 20000;
  std::vector<double> mean(n), scale(n);
  std::vector<uint64_t> idx(n);
  for (size_t i = 0; i < n; ++i) {
    mean[i] = mu(rng);
    scale[i] = std::exp2(logs(rng));
    // One value in eight far outside the window (the escape path), the rest Gaussian.
    idx[i] = kLatentGrid.index_of(i % 8 == 0 ? far(rng) : mean[i] + scale[i] * nd(rng));
  }
  Message m = random_message(1, 64);
  const Message m0 = m;
  for (size_t i = 0; i < n; ++i) push_windowed_gaussian(m, idx[i], mean[i], scale[i], kLatentGrid);
  for (size_t i = n; i-- > 0;)
    ASSERT_EQ(pop_windowed_gaussian(m, mean[i], scale[i], kLatentGrid), idx[i]) << "symbol " << i;
  EXPECT_TRUE(m == m0);
}

TEST(ModelWindowedGaussian, PopThenPushRestoresTheMessage) {  // the bits-back direction
  Message m = random_message(2, 4096);
  const Message m0 = m;
  std::vector<uint64_t> got;
  for (int i = 0; i < 5000; ++i) got.push_back(pop_windowed_gaussian(m, 0.25 * i, 0x1p-14, kLatentGrid));
  for (int i = 5000; i-- > 0;) push_windowed_gaussian(m, got[i], 0.25 * i, 0x1p-14, kLatentGrid);
  EXPECT_TRUE(m == m0);
}

// The property the window exists for: a plain DiscretizedGaussian's floor of one unit per bin
// makes a share bins/2^63 of all pops land anywhere on the grid (here 2^-11). Windowed, pops
// stay near the mean.
TEST(ModelWindowedGaussian, PopsStayNearTheMeanOnAHugeGrid) {
  const GridSpec huge{0.0, 0, uint64_t{1} << 52};
  const double mean = 0x1p51, scale = 4.0;  // grid steps
  Message m = random_message(3, 4096);
  int plain_far = 0;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t v = pop_windowed_gaussian(m, mean, scale, huge);
    ASSERT_LE(std::fabs(static_cast<double>(v) - mean), kWindowScales * scale + 3) << "pop " << i;
  }
  for (int i = 0; i < 100000; ++i) {  // the plain model, for contrast: ~49 expected
    const uint64_t v = pop_gaussian(m, mean, scale, huge);
    plain_far += std::fabs(static_cast<double>(v) - mean) > kWindowScales * scale + 3;
  }
  EXPECT_GT(plain_far, 10);
}

TEST(ModelWindowedGaussian, CodelengthInsideMatchesTheGaussianAndEscapesAreBounded) {
  const double sigma = 0x1p-14;  // 2^18 grid steps
  Message m = random_message(4, 8);
  // Inside: the plain model's codelength less its floor share (2^44 bins: 2^-19 of the mass,
  // 2.8e-6 bits per symbol).
  for (double offset : {0.0, 1.5, -3.0}) {  // (far out, masses are too small to show it)
    const double mean = 1.2345;
    const uint64_t i = kLatentGrid.index_of(mean + offset * sigma);
    Message plain = m, windowed = m;
    push_gaussian(plain, i, mean, sigma, kLatentGrid);
    push_windowed_gaussian(windowed, i, mean, sigma, kLatentGrid);
    EXPECT_NEAR(windowed.bits() - m.bits(), plain.bits() - m.bits() - 2.75e-6, 2e-7) << "offset " << offset;
  }
  // Outside: 43 bits for the flag plus log2 of the number of outside bins.
  const uint64_t far_index = kLatentGrid.index_of(100.0);
  Message e = m;
  push_windowed_gaussian(e, far_index, 0.0, sigma, kLatentGrid);
  EXPECT_NEAR(e.bits() - m.bits(), 43.0 + 44.0, 0.01);
  EXPECT_EQ(pop_windowed_gaussian(e, 0.0, sigma, kLatentGrid), far_index);
  EXPECT_TRUE(e == m);
}

TEST(ModelWindowedGaussian, DegenerateWindows) {
  const GridSpec small{0.0, 0, 100};
  Message m = random_message(5, 8);
  const Message m0 = m;
  // Window covers the whole grid (no flag); mean far outside (no window); NaN parameters.
  const double nan = std::nan("");
  struct Case {
    double mean, scale;
  };
  const double inf = std::numeric_limits<double>::infinity();
  for (const Case c : {Case{50, 1000}, Case{1e9, 1}, Case{-1e9, 1}, Case{nan, 1}, Case{50, nan}, Case{50, 0},
                       Case{50, -3}, Case{50, -inf}, Case{inf, -inf}, Case{-inf, 1}, Case{inf, inf}}) {
    const GaussianWindow w = gaussian_window(c.mean, c.scale, small);
    EXPECT_LE(w.first + w.count, small.nbins);
    for (uint64_t i : {uint64_t{0}, uint64_t{49}, uint64_t{99}}) {
      push_windowed_gaussian(m, i, c.mean, c.scale, small);
      EXPECT_EQ(pop_windowed_gaussian(m, c.mean, c.scale, small), i);
      EXPECT_TRUE(m == m0);
    }
  }
  EXPECT_EQ(gaussian_window(1e9, 1, small).count, 0u);
  // double(nbins) rounds up to 2^62 here: the window must still end inside the grid (fuzz_message).
  const GridSpec odd{0.0, 0, (uint64_t{1} << 62) - 1};
  const GaussianWindow top = gaussian_window(0x1p62 - 0x1p12, 0x1p8, odd);
  EXPECT_LE(top.first + top.count, odd.nbins);
  EXPECT_GT(top.count, 0u);
  EXPECT_EQ(gaussian_window(50, 1000, small).count, 100u);
}

}  // namespace
}  // namespace lbb
