#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "model/categorical.h"
#include "model/uniform.h"

namespace lbb {
namespace {

template <class Model>
void check_exhaustive(const Model& d) {
  uint64_t total = 0;
  for (uint64_t i = 0; i < d.size(); ++i) {
    const Interval iv = d.interval(i);
    ASSERT_GE(iv.freq, 1u);
    ASSERT_EQ(iv.start, total);
    total += iv.freq;
    for (uint64_t slot : {iv.start, iv.start + iv.freq - 1}) ASSERT_EQ(d.find(slot).index, i);
  }
  ASSERT_EQ(total, ans::kTotal);
}

TEST(ModelUniform, Exhaustive) {
  for (uint64_t n : {1ull, 2ull, 3ull, 7ull, 256ull, 1000ull}) check_exhaustive(UniformModel(n));
  const UniformModel huge(ans::kTotal);
  EXPECT_EQ(huge.interval(12345).freq, 1u);
  EXPECT_EQ(huge.find(98765).index, 98765u);
  EXPECT_THROW(UniformModel(0), CodingError);
}

TEST(ModelUniform, RoundTripAndCodelength) {
  std::mt19937_64 rng(1);
  Message m;
  const Message m0 = m;
  std::vector<uint64_t> xs, ns;
  double expected = 0;
  const double b0 = m.bits();
  for (int i = 0; i < 20000; ++i) {
    const uint64_t n = (rng() >> (1 + rng() % 63)) | 1;  // up to 2^63
    ns.push_back(n);
    xs.push_back(rng() % n);
    push_uniform(m, xs.back(), n);
    expected += model_bits(UniformModel(n), xs.back());
    // Far below 2^63 bins the masses are uniform to within 2^-(63 − log2 n).
    if (n < (uint64_t{1} << 40)) {
      EXPECT_NEAR(model_bits(UniformModel(n), xs.back()), std::log2(static_cast<double>(n)), 1e-6);
    }
  }
  EXPECT_NEAR(m.bits() - b0, expected, 1e-6 * expected + 0.01);
  for (size_t i = xs.size(); i-- > 0;) ASSERT_EQ(pop_uniform(m, ns[i]), xs[i]);
  EXPECT_EQ(m, m0);
}

TEST(ModelCategorical, ExhaustiveWithZeros) {
  check_exhaustive(CategoricalModel({5, 0, 0, 1, 1000000, 0}));
  check_exhaustive(CategoricalModel({0, 0, 0}));
  check_exhaustive(CategoricalModel({1}));
  check_exhaustive(CategoricalModel({~uint64_t{0} - 10, 10}));
  std::vector<uint64_t> big(5000);
  std::mt19937_64 rng(2);
  for (auto& f : big) f = rng() % 3 == 0 ? 0 : rng() % 100000;
  check_exhaustive(CategoricalModel(big));
  EXPECT_THROW(CategoricalModel(std::vector<uint64_t>{}), std::invalid_argument);
  EXPECT_THROW(CategoricalModel({~uint64_t{0}, 1}), std::invalid_argument);
}

TEST(ModelCategorical, CodelengthMatchesEntropy) {
  const std::vector<uint64_t> f = {1, 2, 4, 8, 16, 32, 64, 128, 256, 489};
  const CategoricalModel d(f);
  std::discrete_distribution<int> dist(f.begin(), f.end());
  std::mt19937_64 rng(3);
  Message m;
  const Message m0 = m;
  const double b0 = m.bits();
  std::vector<int> xs;
  double ideal = 0;
  for (int i = 0; i < 100000; ++i) {
    xs.push_back(dist(rng));
    ideal -= std::log2(f[xs.back()] / 1000.0);
    push_symbol(m, d, xs.back());
  }
  EXPECT_NEAR(m.bits() - b0, ideal, 1e-6 * ideal);
  for (size_t i = xs.size(); i-- > 0;) ASSERT_EQ(pop_symbol(m, d), static_cast<uint64_t>(xs[i]));
  EXPECT_EQ(m, m0);
}

}  // namespace
}  // namespace lbb
