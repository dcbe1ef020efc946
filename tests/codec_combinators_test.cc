#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "codec/bits_back.h"
#include "codec/codec.h"
#include "model/discretized.h"
#include "model/uniform.h"

namespace lbb {
namespace {

struct UniformCodec {
  uint64_t n;
  void push(Message& m, uint64_t x) const { push_uniform(m, x, n); }
  uint64_t pop(Message& m) const { return pop_uniform(m, n); }
};

TEST(CodecCombinators, RepeatSerialIndexedRoundTrip) {
  Message m;
  const Message m0 = m;
  const auto rep = repeat(UniformCodec{10}, 5);
  const std::vector<uint64_t> xs = {1, 9, 0, 3, 7};
  const auto ser = serial(UniformCodec{3}, GaussianCodec{0.5, 0.25, GridSpec{-4, 8, 2048}},
                          make_codec<uint64_t>([](Message& mm, uint64_t x) { push_uniform(mm, x, 100); },
                                               [](Message& mm) { return pop_uniform(mm, 100); }));
  const std::tuple<uint64_t, uint64_t, uint64_t> tup{2, 1100, 42};
  const std::vector<double> mu = {-1, 0, 1, 2};
  const auto idx = indexed(mu.size(), [&](size_t i) { return GaussianCodec{mu[i], 0.5, GridSpec{-8, 10, 16384}}; });
  const std::vector<uint64_t> ys = {7000, 8192, 9300, 10200};

  rep.push(m, xs);
  ser.push(m, tup);
  idx.push(m, ys);
  EXPECT_EQ(idx.pop(m), ys);
  EXPECT_EQ(ser.pop(m), tup);
  EXPECT_EQ(rep.pop(m), xs);
  EXPECT_EQ(m, m0);
  EXPECT_THROW(rep.push(m, std::vector<uint64_t>{1}), CodingError);
}

// Local bits-back coding (thesis §3.5.3) of a 1-D flow f(x) = a·x + c·x³ with prior N(0, 1):
//   push x̄:  z̄ ← pop N(f(x̄), (σ f'(x̄))²);  push x̄ with N(f⁻¹(z̄), σ²);  push z̄ with N(0, 1).
// Net codelength ≈ −log2 p_Z(f(x)) − log2 f'(x) + k per coordinate (eq. 3.23, 3.27).
TEST(CodecCombinators, LocalBitsBackOnAOneDimensionalFlow) {
  const double a = 0.7, c = 0.2, sigma = 0x1p-14;
  const GridSpec gx{-16.0, 32, uint64_t{32} << 32}, gz{-64.0, 32, uint64_t{128} << 32};
  auto f = [&](double x) { return a * x + c * x * x * x; };
  auto fp = [&](double x) { return a + 3 * c * x * x; };
  auto finv = [&](double z) {  // deterministic Newton iteration (same on encoder and decoder)
    double x = z / a;
    if (std::fabs(x) > 3) x = std::cbrt(z / c);
    for (int i = 0; i < 60; ++i) x -= (f(x) - z) / fp(x);
    return x;
  };
  const auto codec = bits_back(
      [&](uint64_t x) { const double xv = gx.value(x); return GaussianCodec{f(xv), sigma * fp(xv), gz}; },
      [&](uint64_t z) { return GaussianCodec{finv(gz.value(z)), sigma, gx}; },
      GaussianCodec{0.0, 1.0, gz});

  std::mt19937_64 rng(1);
  std::normal_distribution<double> nd;
  const size_t n = 3000;
  std::vector<uint64_t> xs(n);
  double expected = 0;
  for (auto& x : xs) {
    const double z = nd(rng);
    x = gx.index_of(finv(z));
    const double xv = gx.value(x);
    expected += -std::log2(std::exp(-0.5 * f(xv) * f(xv)) / std::sqrt(2 * M_PI) * fp(xv)) + 32;
  }
  Message m;
  const Message m0 = m;
  const double b0 = m.bits();
  for (size_t i = 0; i < n; ++i) codec.push(m, xs[i]);
  const double net = m.bits() - b0;
  EXPECT_NEAR(net / n, expected / n, 0.02);
  EXPECT_GT(m.max_borrowed(), 0u);  // the first posterior pops needed aux bits
  for (size_t i = n; i-- > 0;) ASSERT_EQ(codec.pop(m), xs[i]) << i;
  EXPECT_EQ(m, m0);  // aux words given back: the initial message, bit for bit
  EXPECT_EQ(m.borrowed(), 0u);
}

}  // namespace
}  // namespace lbb
