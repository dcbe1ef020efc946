#include "model/det_math.h"

#include <gtest/gtest.h>

#include <cfenv>
#include <stdexcept>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include <cmath>
#include <random>

#include "model/cdf_table.h"

namespace lbb {
namespace {

double rel_err(double a, double b) { return b == 0 ? std::fabs(a) : std::fabs(a - b) / std::fabs(b); }

TEST(ModelDetMath, ExpMatchesLibm) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-740.0, 709.0);
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const double x = u(rng);
    const double e = std::exp(x);
    if (e < 2.3e-308) continue;  // subnormal results: checked separately
    worst = std::max(worst, rel_err(det_exp(x), e));
  }
  EXPECT_LT(worst, 4e-16);
  EXPECT_EQ(det_exp(0.0), 1.0);
  EXPECT_EQ(det_exp(-800.0), 0.0);
  EXPECT_TRUE(std::isinf(det_exp(710.0)));
  EXPECT_NEAR(det_exp(-740.0) / std::exp(-740.0), 1.0, 1e-10);
}

TEST(ModelDetMath, LogMatchesLibm) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(-700.0, 700.0);
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const double x = std::exp(u(rng));
    worst = std::max(worst, std::fabs(det_log(x) - std::log(x)) / std::max(1.0, std::fabs(std::log(x))));
  }
  EXPECT_LT(worst, 4e-16);
  EXPECT_EQ(det_log(1.0), 0.0);
  EXPECT_NEAR(det_log(5e-324), std::log(5e-324), 1e-12);
  EXPECT_TRUE(std::isnan(det_log(-1.0)));
  EXPECT_TRUE(std::isinf(det_log(0.0)));
}

TEST(ModelDetMath, NormalCdfAndErfcMatchLibm) {
  double worst_tail = 0, worst_erf = 0;
  for (double a = 0; a <= 20.0; a += 1.0 / 512) {  // libm erfc(a/√2) itself errs ∝ a² beyond
    worst_tail = std::max(worst_tail, rel_err(det_normal_lower_tail(a), 0.5 * std::erfc(a / std::sqrt(2.0))));
  }
  for (double x = -6; x <= 6; x += 1.0 / 256) {
    worst_erf = std::max(worst_erf, std::fabs(det_erf(x) - std::erf(x)));
    EXPECT_LT(rel_err(det_erfc(x), std::erfc(x)), 1e-13) << x;
  }
  EXPECT_LT(worst_tail, 1e-13);
  EXPECT_LT(worst_erf, 1e-15);
  EXPECT_EQ(det_normal_cdf(0.0), 0.5);
}

TEST(ModelDetMath, LogisticCdf) {
  for (double t = -40; t <= 40; t += 0.125) {
    const double ref = t < 0 ? std::exp(t) / (1 + std::exp(t)) : 1 / (1 + std::exp(-t));
    EXPECT_LT(rel_err(det_logistic_cdf(t), ref), 1e-15) << t;
  }
}

// (T1): Ψ nondecreasing, symmetric, Ψ(0) = 2^62; checked on a dense sweep and at the double
// granularity around piece boundaries, where rounding would first break monotonicity.
void check_table(const SymmetricCdfTable& tab) {
  EXPECT_EQ(tab.psi(0.0), SymmetricCdfTable::kHalf);
  EXPECT_EQ(tab.psi(-0.0), SymmetricCdfTable::kHalf);
  EXPECT_EQ(tab.psi(-1e300), 0u);
  EXPECT_EQ(tab.psi(1e300), SymmetricCdfTable::kScale);
  EXPECT_EQ(tab.psi(std::nan("")), tab.psi(1e300));
  uint64_t prev = 0;
  const double u = tab.range() + 1;
  for (double t = -u; t <= u; t += 1.0 / 4096) {
    const uint64_t p = tab.psi(t);
    ASSERT_GE(p, prev) << t;
    if (t != 0) {
      ASSERT_EQ(p + tab.psi(-t), SymmetricCdfTable::kScale) << t;
    }
    prev = p;
  }
  for (size_t j = 1; j < tab.num_pieces(); ++j) {
    const double t = -tab.range() + static_cast<double>(j) / 128;
    double x = std::nextafter(t, -1e9);
    for (int k = 0; k < 64; ++k) {
      const double y = std::nextafter(x, 1e9);
      ASSERT_LE(tab.psi(x), tab.psi(y)) << x;
      x = y;
    }
  }
}

TEST(ModelCdfTable, NormalIsMonotoneAndSymmetric) { check_table(normal_cdf_table()); }
TEST(ModelCdfTable, LogisticIsMonotoneAndSymmetric) { check_table(logistic_cdf_table()); }

TEST(ModelCdfTable, NormalIsAccurate) {
  const auto& tab = normal_cdf_table();
  double worst = 0;
  for (double t = -6; t <= 0; t += 1.0 / 1000) {
    const double ref = 0.5 * std::erfc(-t / std::sqrt(2.0));
    const double got = static_cast<double>(tab.psi(t)) * 0x1p-63;
    worst = std::max(worst, rel_err(got, ref));
  }
  EXPECT_LT(worst, 2e-6);  // quadratic pieces: ≈ 5e-9 at the centre, 8e-7 at t = −6
  // Implied bin masses (the density) at bin width 2^-18 in t.
  double worst_mass = 0;
  for (double t = -6; t < 6; t += 0.0137) {
    const double w = 0x1p-18;
    const double got = static_cast<double>(tab.psi(t + w) - tab.psi(t)) * 0x1p-63;
    const double z0 = t / std::sqrt(2.0), z1 = (t + w) / std::sqrt(2.0);
    const double ref = t >= 0 ? 0.5 * (std::erfc(z0) - std::erfc(z1)) : 0.5 * (std::erfc(-z1) - std::erfc(-z0));
    worst_mass = std::max(worst_mass, rel_err(got, ref));
  }
  EXPECT_LT(worst_mass, 3e-4);  // ≈ h²·(t²−1)/8 with h = 2^-7
}

TEST(ModelCdfTable, InverseIsConsistent) {
  for (const SymmetricCdfTable* tab : {&normal_cdf_table(), &logistic_cdf_table()}) {
    EXPECT_LE(tab->max_scan(), tab == &normal_cdf_table() ? 100 : 1000);  // far-tail buckets
    for (double t = -5; t <= 5; t += 0.01) {
      double dens;
      const double back = tab->inverse(tab->psi(t), &dens);
      EXPECT_NEAR(back, t, 1e-12) << t;
      EXPECT_NEAR(tab->quick_inverse(static_cast<double>(tab->psi(t))), t, 1e-7) << t;
    }
  }
}

// (T2): the table integers are a fixed function of the code; any drift (compiler flags, FMA,
// platform libm leaking in) changes these checksums.
TEST(ModelCdfTable, GoldenChecksums) {
  EXPECT_EQ(normal_cdf_table().num_pieces(), 1281u);
  EXPECT_EQ(logistic_cdf_table().num_pieces(), 6145u);
  EXPECT_EQ(normal_cdf_table().checksum(), 0x5b1d9865285a2389ull);
  EXPECT_EQ(logistic_cdf_table().checksum(), 0x2e261a1cde27c099ull);
}

TEST(DetMath, CodersRefuseAnotherFloatingPointEnvironment) {
  EXPECT_NO_THROW(check_float_environment());
  ASSERT_EQ(std::fesetround(FE_UPWARD), 0);
  EXPECT_THROW(check_float_environment(), std::runtime_error);
  std::fesetround(FE_TONEAREST);
#if defined(__SSE__) || defined(__x86_64__)
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(csr | (1u << 15));  // flush to zero
  EXPECT_THROW(check_float_environment(), std::runtime_error);
  _mm_setcsr(csr | (1u << 6));  // denormals are zero
  EXPECT_THROW(check_float_environment(), std::runtime_error);
  _mm_setcsr(csr);
#endif
  EXPECT_NO_THROW(check_float_environment());
}

}  // namespace
}  // namespace lbb
