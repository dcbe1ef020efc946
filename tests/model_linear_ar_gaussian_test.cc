#include "model/linear_ar_gaussian.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "model/discretized.h"

namespace lbb {
namespace {

TEST(ModelLinearArGaussian, CholeskyReconstructs) {
  const size_t d = 5;
  std::mt19937_64 rng(1);
  std::normal_distribution<double> nd;
  std::vector<double> w(d * d), a(d * d), l(d * d);
  for (auto& x : w) x = nd(rng);
  scaled_gram(w.data(), d, 0.5, a.data());
  ASSERT_TRUE(cholesky_lower(a.data(), d, l.data()));
  for (size_t i = 0; i < d; ++i)
    for (size_t j = 0; j < d; ++j) {
      double s = 0;
      for (size_t k = 0; k < d; ++k) s += l[i * d + k] * l[j * d + k];
      EXPECT_NEAR(s, a[i * d + j], 1e-12 * (1 + std::fabs(a[i * d + j])));
      if (j > i) {
        EXPECT_EQ(l[i * d + j], 0.0);
      }
    }
  std::vector<double> not_pd = {1, 2, 2, 1};
  EXPECT_FALSE(cholesky_lower(not_pd.data(), 2, l.data()));
}

// Algorithm 3.1's coding step: y ~ N(Wx, σ²WWᵀ) on the 2^-32 grid, one 4×4 block per "pixel".
TEST(ModelLinearArGaussian, RoundTripAndCodelength) {
  const size_t d = 4, blocks = 3000;
  const double sigma = 0x1p-14;
  const GridSpec grid{-64.0, 32, uint64_t{128} << 32};
  std::mt19937_64 rng(2);
  std::normal_distribution<double> nd;
  std::vector<double> w(d * d), cov(d * d), l(d * d), work(d);
  for (size_t i = 0; i < d; ++i)
    for (size_t j = 0; j < d; ++j) w[i * d + j] = (i == j ? 1.0 : 0.0) + 0.3 * nd(rng);
  scaled_gram(w.data(), d, sigma, cov.data());
  ASSERT_TRUE(cholesky_lower(cov.data(), d, l.data()));
  double logdet = 0;  // log2 |det L|
  for (size_t i = 0; i < d; ++i) logdet += std::log2(l[i * d + i]);

  std::vector<std::vector<double>> means(blocks, std::vector<double>(d));
  std::vector<std::vector<uint64_t>> ys(blocks, std::vector<uint64_t>(d));
  Message m;
  const Message m0 = m;
  const double b0 = m.bits();
  double expected = 0;
  for (size_t b = 0; b < blocks; ++b) {
    std::vector<double> eps(d);
    for (auto& e : eps) e = nd(rng);
    for (size_t i = 0; i < d; ++i) {
      means[b][i] = 4 * nd(rng);
      double y = means[b][i];
      for (size_t k = 0; k <= i; ++k) y += l[i * d + k] * eps[k];
      ys[b][i] = grid.index_of(y);
    }
    // −log2 of N(y; mean, LLᵀ)·δ^d at the grid values.
    std::vector<double> z(d);
    double q = 0;
    for (size_t i = 0; i < d; ++i) {
      double r = grid.value(ys[b][i]) - means[b][i];
      for (size_t k = 0; k < i; ++k) r -= l[i * d + k] * z[k];
      z[i] = r / l[i * d + i];
      q += z[i] * z[i];
    }
    expected += 0.5 * q / std::log(2.0) + 0.5 * d * std::log2(2 * M_PI) + logdet + 32.0 * d;
    push_linear_ar_gaussian(m, ys[b].data(), means[b].data(), l.data(), d, grid, work.data());
  }
  EXPECT_NEAR(m.bits() - b0, expected, 1e-4 * expected);
  std::vector<uint64_t> out(d);
  for (size_t b = blocks; b-- > 0;) {
    pop_linear_ar_gaussian(m, out.data(), means[b].data(), l.data(), d, grid, work.data());
    ASSERT_EQ(out, ys[b]) << b;
  }
  EXPECT_EQ(m, m0);
}

}  // namespace
}  // namespace lbb
