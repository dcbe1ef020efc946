#include "model/det_math.h"

#include <cfenv>
#include <stdexcept>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include <cstring>
#include <limits>

namespace lbb {

namespace {
double from_bits(uint64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}
uint64_t to_bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}
constexpr double kLn2Hi = kDetLn2Hi;
constexpr double kLn2Lo = kDetLn2Lo;
constexpr double kInvLn2 = kDetInvLn2;
constexpr double kInvSqrt2Pi = 0.398942280401432677939946;
constexpr double kSqrt2 = 1.41421356237309504880;
}  // namespace

double det_exp(double x) {
  if (x != x) return x;
  if (x > 709.782712893384) return std::numeric_limits<double>::infinity();
  if (x < -745.2) return 0.0;
  // x = k·ln2 + r, |r| ≤ ln2/2 (Cody–Waite: k·kLn2Hi is exact for |k| < 2^21).
  const double kd = x * kInvLn2;
  const int k = static_cast<int>(kd < 0 ? kd - 0.5 : kd + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  // e^r by its Taylor series to degree 13 (remainder < 2^-60 for |r| ≤ 0.35), Horner form.
  const double* c = kDetExpTaylor;
  double p = c[13];
  for (int j = 12; j >= 0; --j) p = p * r + c[j];
  // Scale by 2^k in two exact steps so that subnormal results are rounded only once.
  if (k >= -1021) return p * det_pow2(k);
  return (p * det_pow2(k + 600)) * det_pow2(-600);
}

double det_log(double x) {
  if (x != x || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (x == std::numeric_limits<double>::infinity()) return x;
  int e = 0;
  if (x < 2.2250738585072014e-308) {  // subnormal: scale into the normal range
    x *= det_pow2(54);
    e = -54;
  }
  const uint64_t b = to_bits(x);
  e += static_cast<int>((b >> 52) & 0x7FF) - 1023;
  double m = from_bits((b & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);  // m ∈ [1, 2)
  if (m > kSqrt2) {
    m *= 0.5;
    ++e;
  }
  // ln m = 2·atanh(s), s = (m−1)/(m+1) ∈ [−0.1716, 0.1716]; series to s^25 (error < 2^-60).
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double p = 1.0 / 25;
  for (int j = 23; j >= 1; j -= 2) p = p * s2 + 1.0 / j;
  const double lnm = 2.0 * s * p;
  return e * kLn2Hi + (e * kLn2Lo + lnm);
}

double det_normal_lower_tail(double a) {
  if (a != a) return a;
  if (a < 0) return 1.0 - det_normal_lower_tail(-a);
  if (a > 40.0) return 0.0;
  const double pdf = kInvSqrt2Pi * det_exp(-0.5 * (a * a));
  if (a <= 1.5) {
    // Φ(a) − 1/2 = φ(a)·Σ_{n≥0} a^{2n+1}/(1·3·…·(2n+1)): all terms positive.
    double term = a, sum = 0.0;
    const double a2 = a * a;
    for (int n = 0; n < 60; ++n) {
      sum += term;
      term *= a2 / (2 * n + 3);
    }
    return 0.5 - pdf * sum;
  }
  // Mills ratio R(a) = 1/(a + 1/(a + 2/(a + 3/(a + …)))), evaluated backwards; 300 levels
  // converge to < 1e-16 relative for a ≥ 1.5.
  double f = a;
  for (int k = 300; k >= 1; --k) f = a + k / f;
  return pdf / f;
}

double det_normal_cdf(double t) {
  if (t != t) return t;
  if (t <= 0) return det_normal_lower_tail(-t);
  return 1.0 - det_normal_lower_tail(t);
}

double det_erfc(double x) {
  if (x != x) return x;
  if (x >= 0) return 2.0 * det_normal_lower_tail(x * kSqrt2);
  return 2.0 - 2.0 * det_normal_lower_tail(-x * kSqrt2);
}

double det_erf(double x) {
  if (x != x) return x;
  if (x < 0) return -det_erf(-x);
  if (x < 0.5) {
    // erf x = 2/√π Σ (−1)^n x^{2n+1}/(n!(2n+1)); terms shrink fast for x < 1/2.
    const double x2 = x * x;
    double term = x, sum = 0.0;
    for (int n = 0; n < 30; ++n) {
      sum += term / (2 * n + 1);
      term *= -x2 / (n + 1);
    }
    return 1.1283791670955125739 * sum;
  }
  return 1.0 - det_erfc(x);
}

double det_logistic_cdf(double t) {
  if (t != t) return t;
  if (t < 0) {
    const double e = det_exp(t);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + det_exp(-t));
}

void check_float_environment() {
  if (std::fegetround() != FE_TONEAREST)
    throw std::runtime_error("the floating-point rounding mode is not round-to-nearest; lbb's coder refuses to run "
                             "(its results would differ from every other machine's)");
#if defined(__SSE__) || defined(__x86_64__)
  constexpr unsigned kFlushToZero = 1u << 15, kDenormalsAreZero = 1u << 6;
  if (_mm_getcsr() & (kFlushToZero | kDenormalsAreZero))
    throw std::runtime_error("subnormal numbers are flushed to zero (MXCSR FTZ/DAZ, e.g. by a library built with "
                             "-ffast-math); lbb's coder refuses to run (its results would differ)");
#endif
}

}  // namespace lbb
