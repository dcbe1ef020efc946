#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "model/discretized.h"

namespace lbb {
namespace {

const GridSpec kThesisGrid{-256.0, 32, uint64_t{1} << 41};  // δ = 2^-32 on [−256, 256)
const double kSigma = 0x1p-14;                               // s = 2^18 grid steps

double real_gaussian_bits(double mean, double s, const GridSpec& g, uint64_t i) {
  const double e0 = g.lo + std::ldexp(static_cast<double>(i), -g.k);
  const double e1 = g.lo + std::ldexp(static_cast<double>(i + 1), -g.k);
  const double z0 = (e0 - mean) / (s * std::sqrt(2.0)), z1 = (e1 - mean) / (s * std::sqrt(2.0));
  // Difference of tails on the side where it is accurate.
  const double p = z0 >= 0 ? 0.5 * (std::erfc(z0) - std::erfc(z1))
                           : 0.5 * (std::erfc(-z1) - std::erfc(-z0));
  return -std::log2(p);
}

// Exhaustive check of a small model: every bin ≥ 1, masses sum to 2^63, find() inverts cdf().
template <class Model>
void check_small_model(const Model& d) {
  const uint64_t n = d.size();
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const Interval iv = d.interval(i);
    ASSERT_GE(iv.freq, 1u) << "bin " << i;
    ASSERT_EQ(iv.start, total);
    total += iv.freq;
    for (uint64_t slot : {iv.start, iv.start + iv.freq / 2, iv.start + iv.freq - 1}) {
      const Lookup l = d.find(slot);
      ASSERT_EQ(l.index, i) << "slot " << slot;
      ASSERT_EQ(l.start, iv.start);
      ASSERT_EQ(l.freq, iv.freq);
    }
  }
  ASSERT_EQ(total, ans::kTotal);
}

TEST(ModelGaussian, RoundTripBitForBit) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> mu(-4, 4), logs(-30, 2);
  std::normal_distribution<double> nd;
  const size_t n = 20000;
  std::vector<double> mean(n), scale(n);
  std::vector<uint64_t> idx(n);
  for (size_t i = 0; i < n; ++i) {
    mean[i] = mu(rng);
    scale[i] = std::exp2(logs(rng));
    idx[i] = kThesisGrid.index_of(mean[i] + scale[i] * nd(rng));
  }
  Message m;
  const Message m0 = m;
  for (size_t i = 0; i < n; ++i) push_gaussian(m, idx[i], mean[i], scale[i], kThesisGrid);
  const Message mid = Message::from_bytes(m.to_bytes());
  ASSERT_EQ(mid, m);
  for (size_t i = n; i-- > 0;) ASSERT_EQ(pop_gaussian(m, mean[i], scale[i], kThesisGrid), idx[i]) << i;
  EXPECT_EQ(m, m0);
}

TEST(ModelGaussian, CodelengthMatchesModelAndRealGaussian) {
  // 10^6 symbols at the thesis' operating point.
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> mu(-4, 4);
  std::normal_distribution<double> nd;
  const size_t n = 1000000;
  Message m;
  m.reserve_words(n);
  const double b0 = m.bits();
  double model = 0, real = 0;
  for (size_t i = 0; i < n; ++i) {
    const double mean = mu(rng);
    const uint64_t idx = kThesisGrid.index_of(mean + kSigma * nd(rng));
    const DiscretizedGaussian d(mean, kSigma, kThesisGrid);
    model += model_bits(d, idx);
    real += real_gaussian_bits(mean, kSigma, kThesisGrid, idx);
    push_symbol(m, d, idx);
  }
  const double coded = m.bits() - b0;
  EXPECT_NEAR(coded, model, 1e-3 * model);   // the contract: within 0.1 %
  EXPECT_NEAR(coded, model, 1e-6 * model);   // what rANS with L/M = 2^32 actually achieves
  EXPECT_NEAR(model, real, 1e-5 * real);     // integer model vs the real-valued Gaussian
  EXPECT_NEAR(coded / n, 18 + 14 + 0.5 * std::log2(2 * M_PI * M_E) - 14, 0.01);  // ≈ 20.05
}

TEST(ModelGaussian, EveryBinNonzeroAtExtremeParameters) {
  const GridSpec g{-2.0, 8, 1000};  // [−2, 1.906), step 2^-8
  const double step = g.step();
  const double lo = g.lo, hi = g.lo + 1000 * step;
  for (double rel_scale : {0x1p-30, 0x1p-10, 0.3, 1.0, 0x1p10, 0x1p30, 0x1p50, 0x1p70}) {
    for (double mean : {-1e300, -1e6, lo - 1, lo, lo + 0.5 * step, 0.0, hi - 0.25 * step, hi,
                        hi + 1e-3, 1e6, 1e300}) {
      SCOPED_TRACE(testing::Message() << "scale " << rel_scale << " mean " << mean);
      check_small_model(DiscretizedGaussian(mean, rel_scale * step, g));
      check_small_model(DiscretizedLogistic(mean, rel_scale * step, g));
    }
  }
  // Non-finite and non-positive parameters are clamped, never UB (D1).
  for (double bad : {std::nan(""), double{INFINITY}, -double{INFINITY}, 0.0, -1.0}) {
    check_small_model(DiscretizedGaussian(0.0, bad, g));
    check_small_model(DiscretizedGaussian(bad, 1.0, g));
  }
  // One bin: the whole mass.
  const DiscretizedGaussian one(0.0, 1.0, GridSpec{0.0, 0, 1});
  EXPECT_EQ(one.interval(0).freq, ans::kTotal);
}

TEST(ModelGaussian, HugeRangeStaysStrictlyIncreasing) {
  // 2^41 bins: check C around the mean, in the tails and at the edges, for tiny to huge scales.
  for (double rel : {0x1p-30, 1.0, 0x1p18, 0x1p32, 0x1p44}) {
    for (double mean : {-300.0, -256.0, 0.1234, 255.99, 300.0}) {
      const DiscretizedGaussian d(mean, rel * kThesisGrid.step(), kThesisGrid);
      const double centre = (mean - kThesisGrid.lo) * 0x1p32;
      std::vector<uint64_t> probes;
      for (uint64_t i = 0; i < 3000; ++i) {
        probes.push_back(i);
        probes.push_back(kThesisGrid.nbins - 1 - i);
        for (double k : {-8.0, -1.0, 0.0, 1.0, 8.0}) {
          const double c = centre + k * rel + static_cast<double>(i) - 1500;
          if (c > 0 && c < 0x1p41 - 1) probes.push_back(static_cast<uint64_t>(c));
        }
      }
      for (uint64_t i : probes) {
        ASSERT_LT(d.cdf(i), d.cdf(i + 1)) << "rel " << rel << " mean " << mean << " i " << i;
        const Lookup l = d.find(d.cdf(i));
        ASSERT_EQ(l.index, i);
      }
    }
  }
}

TEST(ModelGaussian, PopFromRandomSlotsAndPushBack) {
  // Bits-back style: pop from whatever the message holds, then push back: identical message.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> mu(-300, 300), logs(-40, 20);
  Message m;
  const Message m0 = m;
  std::vector<uint64_t> got;
  std::vector<std::pair<double, double>> params;
  for (int i = 0; i < 20000; ++i) {
    params.emplace_back(mu(rng), std::exp2(logs(rng)));
    got.push_back(pop_gaussian(m, params.back().first, params.back().second, kThesisGrid));
  }
  EXPECT_GT(m.borrowed(), 0u);
  for (size_t i = got.size(); i-- > 0;) push_gaussian(m, got[i], params[i].first, params[i].second, kThesisGrid);
  EXPECT_EQ(m, m0);
}

TEST(ModelGaussian, EstimateIsUsuallyExact) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> mu(-4, 4);
  for (double s : {kSigma, 0x1p-8, 1.0}) {  // 2^18, 2^24 and 2^32 grid steps
    int exact = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      const DiscretizedGaussian d(mu(rng), s, kThesisGrid);
      const uint64_t slot = rng() >> 1;
      exact += d.estimate(slot) == d.find(slot).index;
    }
    EXPECT_GT(exact, n * 95 / 100) << "scale " << s;
  }
}

// Golden integers: any cross-platform drift of the CDF shows up here.
TEST(ModelGaussian, GoldenCdfValues) {
  const DiscretizedGaussian d(0.3141592653589793, kSigma, kThesisGrid);
  const uint64_t c = static_cast<uint64_t>((0.3141592653589793 + 256.0) * 0x1p32);
  const uint64_t idx[] = {1, 1000, c - 1000000, c - 262144, c - 1, c, c + 1, c + 100000, c + 2000000,
                          kThesisGrid.nbins - 1};
  const uint64_t golden[] = {1ull, 1000ull, 629899745226113ull, 1463333335184408287ull, 4611665636547712773ull,
                             4611679673149195006ull, 4611693709750823622ull, 5982020464769544422ull,
                             9223370938694343031ull, 9223372036854775807ull};
  for (size_t i = 0; i < sizeof idx / sizeof idx[0]; ++i) EXPECT_EQ(d.cdf(idx[i]), golden[i]) << i;
  const GridSpec small{-1.0, 4, 32};
  const DiscretizedLogistic lg(0.1, 0.2, small);
  const uint64_t golden_l[] = {0ull, 129714064407424915ull, 437426472489390284ull, 1365494386460185601ull,
                               3482198047368264256ull, 6264317822001720962ull, 8123919139164596045ull,
                               8879092267902103530ull, 9223372036854775808ull};
  for (uint64_t i = 0; i <= 32; i += 4) EXPECT_EQ(lg.cdf(i), golden_l[i / 4]) << i;
}

TEST(ModelGaussian, LogisticRoundTripAndCodelength) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> mu(-3, 3), u(1e-12, 1 - 1e-12);
  const GridSpec g{-8.0, 20, uint64_t{16} << 20};
  const size_t n = 50000;
  std::vector<double> mean(n);
  std::vector<uint64_t> idx(n);
  Message m;
  const Message m0 = m;
  const double s = 0x1p-6, b0 = m.bits();
  double real = 0;
  for (size_t i = 0; i < n; ++i) {
    mean[i] = mu(rng);
    const double p = u(rng);
    idx[i] = g.index_of(mean[i] + s * std::log(p / (1 - p)));
    push_logistic(m, idx[i], mean[i], s, g);
    auto F = [&](double x) { return 1 / (1 + std::exp(-(x - mean[i]) / s)); };
    const double e0 = g.lo + std::ldexp(static_cast<double>(idx[i]), -g.k);
    real -= std::log2(F(e0 + g.step()) - F(e0));
  }
  EXPECT_NEAR(m.bits() - b0, real, 1e-5 * real);
  for (size_t i = n; i-- > 0;) ASSERT_EQ(pop_logistic(m, mean[i], s, g), idx[i]);
  EXPECT_EQ(m, m0);
}

TEST(ModelGaussian, PushOutOfRangeThrows) {
  Message m;
  EXPECT_THROW(push_gaussian(m, kThesisGrid.nbins, 0.0, 1.0, kThesisGrid), CodingError);
  EXPECT_THROW(DiscretizedGaussian(0.0, 1.0, GridSpec{0.0, 0, 0}), CodingError);
  EXPECT_EQ(m, Message());
}

}  // namespace
}  // namespace lbb
