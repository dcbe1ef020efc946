// Deterministic elementary functions: built only from IEEE-754 double +, −, ×, ÷ (correctly
// rounded) and integer/bit operations, with no FMA contraction (-ffp-contract=off), no long
// double and no libm, so they return the same bits on every IEEE machine (x86-64, ARM64).
// They are used to build the integer CDF tables (model/cdf_table.h) and wherever a coding
// decision depends on a transcendental function.  Accuracy: a few ulp (tested against libm).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__FAST_MATH__)
#error "the coding path must not be built with -ffast-math or -Ofast (DESIGN.md §5)"
#endif

namespace lbb {

// Throws std::runtime_error unless the floating-point environment is the one every encoder and
// decoder assumes (DESIGN.md §5): rounding to nearest, and (x86 MXCSR) subnormal results and
// inputs neither flushed nor treated as zero.  The coders check it before they start.
void check_float_environment();

// 2^e as a double (exact; 0 below 2^-1074, +inf above 2^1023).
inline double det_pow2(int e) {
  uint64_t b;
  if (e > 1023) {
    b = 0x7FF0000000000000ull;
  } else if (e >= -1022) {
    b = static_cast<uint64_t>(e + 1023) << 52;
  } else if (e >= -1074) {
    b = uint64_t{1} << (e + 1074);  // subnormal
  } else {
    b = 0;
  }
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}

// e^x.  Relative error ≲ 2 ulp for normal results; 0 for x < −745.2, +inf for x > 709.79.
// The constants of det_exp (shared with vectorized copies that must give the same bits):
// Cody–Waite reduction x = k·ln2 + r (kLn2Hi has 32 significant bits, so k·kLn2Hi is exact
// for |k| < 2^21), then e^r by its Taylor series to degree 13 in Horner form.
inline constexpr double kDetLn2Hi = 6.93147180369123816490e-01;  // 0x3FE62E42FEE00000
inline constexpr double kDetLn2Lo = 1.90821492927058770002e-10;  // ln 2 − kDetLn2Hi
inline constexpr double kDetInvLn2 = 1.44269504088896338700e+00;
inline constexpr double kDetExpTaylor[14] = {1.0,        1.0,          1.0 / 2,        1.0 / 6,
                                             1.0 / 24,   1.0 / 120,    1.0 / 720,      1.0 / 5040,
                                             1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800,
                                             1.0 / 479001600, 1.0 / 6227020800.0};
double det_exp(double x);

// ln x.  Relative error ≲ 2 ulp; −inf at 0, NaN for x < 0 or NaN.
double det_log(double x);

// Φ(−a) = P(N(0,1) ≤ −a) for a ≥ 0, with small relative error also deep in the tail
// (series for a ≤ 1.5, Laplace continued fraction of the Mills ratio above).
double det_normal_lower_tail(double a);

// Φ(t), the standard normal CDF (computed from the lower tail on whichever side is smaller).
double det_normal_cdf(double t);

// erfc(x) and erf(x) via Φ:  erfc(x) = 2·Φ(−x·√2).
double det_erfc(double x);
double det_erf(double x);

// Standard logistic CDF 1/(1+e^{−t}); for t < 0 evaluated as e^t/(1+e^t) (no cancellation).
double det_logistic_cdf(double t);

}  // namespace lbb
