// Internal to src/det's elementwise functions (det_activations.cc, det_mixture.cc): kLanes
// doubles in lockstep, each lane repeating the scalar functions' IEEE operations (model/
// det_math.h) so that array results are bit-identical to the scalar ones, and the target
// clones the array functions are built for.  Everything here is always inlined.
#pragma once

#include <cstdint>
#include <cstring>

#include "det/det_clones.h"
#include "model/det_math.h"

// The SIMD helpers below are always inlined; their by-value vector ABI never matters.
#pragma GCC diagnostic ignored "-Wpsabi"


namespace lbb {
namespace {  // each including file gets its own always-inlined copy

// Four lanes: one AVX2 register (AVX-512VL encoding in the avx512f clone) or two SSE2
// registers, the same IEEE operations per lane whatever the target.  (Eight lanes measured
// slower here: most callers have four mixture components.)
constexpr int kLanes = 4;
typedef double Vd __attribute__((vector_size(8 * kLanes)));
typedef int32_t Vi __attribute__((vector_size(4 * kLanes)));
typedef int64_t Vl __attribute__((vector_size(8 * kLanes)));

// Every lane of a vector V of S set to x.
template <typename V, typename S>
__attribute__((always_inline)) inline V broadcast(S x) {
  V v;
  for (size_t i = 0; i < sizeof(V) / sizeof(S); ++i) v[i] = x;
  return v;
}
__attribute__((always_inline)) inline Vd splat(double x) { return broadcast<Vd>(x); }

// det_exp (model/det_math.cc) lane by lane, for lanes with x ∈ [kFastLo, kFastHi]: the same
// constants and the same operations in the same order (Cody–Waite reduction with k rounded
// half away from zero, Taylor polynomial to degree 13 in Horner form, scaling by 2^k with
// −1021 <= k <= 1023, so det_pow2(k) is the normal number with exponent field k + 1023).
// ModelDetMath-independent check: DetFlow.ArrayFunctionsAreBitIdentical.
constexpr double kFastLo = -708.0, kFastHi = 709.0;

__attribute__((always_inline)) inline Vd exp_lanes(const Vd& x) {
  constexpr double kLn2Hi = kDetLn2Hi, kLn2Lo = kDetLn2Lo, kInvLn2 = kDetInvLn2;
  const double* c = kDetExpTaylor;  // the same constants as det_exp, the same bits
  const Vd kd = x * kInvLn2;
  const Vd half = splat(0.5);
  const Vd rounded = kd < 0 ? kd - half : kd + half;
  const Vi k = __builtin_convertvector(rounded, Vi);  // truncation, as static_cast<int>
  const Vd kf = __builtin_convertvector(k, Vd);
  const Vd r = (x - kf * kLn2Hi) - kf * kLn2Lo;
  Vd p = splat(c[13]);
  for (int j = 12; j >= 0; --j) p = p * r + c[j];
  const Vl bits = (__builtin_convertvector(k, Vl) + 1023) << 52;
  Vd scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// det_log (model/det_math.cc) lane by lane for lanes holding normal, finite, positive values
// (the caller selects 1.0 elsewhere): the same reduction to m ∈ (√2/2, √2], the same atanh
// series and the same final sum.
__attribute__((always_inline)) inline Vd log_lanes(const Vd& x) {
  constexpr double kSqrt2 = 1.41421356237309504880;  // det_math.cc's constant
  Vl b;
  std::memcpy(&b, &x, sizeof b);
  Vl e = ((b >> 52) & 0x7FF) - 1023;
  const Vl mb = (b & 0x000FFFFFFFFFFFFFll) | 0x3FF0000000000000ll;
  Vd m;
  std::memcpy(&m, &mb, sizeof m);
  const Vl big = m > splat(kSqrt2);
  m = big ? m * 0.5 : m;
  e = big ? e + 1 : e;
  const Vd s = (m - 1.0) / (m + 1.0);
  const Vd s2 = s * s;
  Vd p = splat(1.0 / 25);
  for (int j = 23; j >= 1; j -= 2) p = p * s2 + 1.0 / j;
  const Vd lnm = splat(2.0) * s * p;
  const Vd ed = __builtin_convertvector(e, Vd);
  return ed * kDetLn2Hi + (ed * kDetLn2Lo + lnm);
}

// Lanes that the fast path does not cover (outside [kFastLo, kFastHi], or NaN).
__attribute__((always_inline)) inline bool any_outside(const Vd& a) {
  bool out = false;
  for (int i = 0; i < kLanes; ++i) out |= !(a[i] >= kFastLo && a[i] <= kFastHi);
  return out;
}

__attribute__((always_inline)) inline Vd load(const double* p) {
  Vd v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
__attribute__((always_inline)) inline void store(double* p, const Vd& v) {
  std::memcpy(p, &v, sizeof v);
}

}  // namespace
}  // namespace lbb
