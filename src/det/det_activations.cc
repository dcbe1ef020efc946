#include "det/det_elementwise.h"  // (declares det_activations.cc's functions too)

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "det/det_lanes.h"
#include "model/det_math.h"

namespace lbb {

// ---- scalar helpers ------------------------------------------------------------------------

// e^x − 1 = x·Σ_{n≥0} x^n/(n+1)!: coefficients 1/(n+1)!, n = 0..16 (det_expm1 and its array form).
constexpr double kExpm1Series[] = {
    1.0 / 1,          1.0 / 2,           1.0 / 6,            1.0 / 24,
    1.0 / 120,        1.0 / 720,         1.0 / 5040,         1.0 / 40320,
    1.0 / 362880,     1.0 / 3628800,     1.0 / 39916800,     1.0 / 479001600,
    1.0 / 6227020800.0, 1.0 / 87178291200.0, 1.0 / 1307674368000.0, 1.0 / 20922789888000.0,
    1.0 / 355687428096000.0};

double det_expm1(double x) {
  if (x != x) return x;
  if (x > -0.5 && x < 0.5) {
    // e^x − 1 = x·Σ_{n≥0} x^n/(n+1)!; for |x| < 1/2 the terms after n = 16 are < 2^-60.
    const double* c = kExpm1Series;
    double p = c[16];
    for (int j = 15; j >= 0; --j) p = p * x + c[j];
    return x * p;
  }
  return det_exp(x) - 1.0;
}

double det_log1p(double x) {
  if (x != x) return x;
  if (x == std::numeric_limits<double>::infinity()) return x;
  if (x < -1.0) return std::numeric_limits<double>::quiet_NaN();
  if (x == -1.0) return -std::numeric_limits<double>::infinity();
  const double u = 1.0 + x;
  if (u == 1.0) return x;
  // u = 1 + x rounded; ln(u)·x/(u − 1) corrects for the rounding (u − 1 is exact).
  return det_log(u) * (x / (u - 1.0));
}

double det_tanh(double x) {
  if (x != x) return x;
  const double ax = x < 0 ? -x : x;
  double r;
  if (ax > 22.0) {
    r = 1.0;  // 1 − tanh(22) < 2^-63
  } else {
    const double e = det_expm1(-2.0 * ax);  // ∈ (−1, 0]
    r = -e / (2.0 + e);
  }
  return x < 0 ? -r : r;
}

double det_sigmoid(double x) { return det_logistic_cdf(x); }

double det_softplus(double x) {
  const double ax = x < 0 ? -x : x;
  return (x > 0 ? x : 0.0) + det_log1p(det_exp(-ax));
}

double det_log_sigmoid(double x) {
  const double ax = x < 0 ? -x : x;
  return (x < 0 ? x : 0.0) - det_log1p(det_exp(-ax));
}

double det_elu(double x) { return x > 0 ? x : det_expm1(x); }

// ---- array versions -------------------------------------------------------------------------

LBB_DET_CLONES void det_exp_array(const double* x, double* y, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Vd v = load(x + i);
    if (any_outside(v)) {
      for (int j = 0; j < kLanes; ++j) y[i + j] = det_exp(x[i + j]);
    } else {
      store(y + i, exp_lanes(v));
    }
  }
  for (; i < n; ++i) y[i] = det_exp(x[i]);
}

LBB_DET_CLONES void det_expm1_array(const double* x, double* y, int64_t n) {
  const double* c = kExpm1Series;  // the same coefficients as det_expm1
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Vd v = load(x + i);
    if (any_outside(v)) {
      for (int j = 0; j < kLanes; ++j) y[i + j] = det_expm1(x[i + j]);
      continue;
    }
    // The branch of det_expm1 each lane takes (both when the lanes disagree).
    const Vd lim = splat(0.5);
    const auto near = (v > -lim) & (v < lim);
    bool all_near = true, none_near = true;
    for (int j = 0; j < kLanes; ++j) all_near &= near[j] != 0, none_near &= near[j] == 0;
    if (none_near) {
      store(y + i, exp_lanes(v) - splat(1.0));
      continue;
    }
    Vd p = splat(c[16]);
    for (int j = 15; j >= 0; --j) p = p * v + c[j];
    const Vd series = v * p;
    if (all_near) {
      store(y + i, series);
      continue;
    }
    store(y + i, near ? series : exp_lanes(v) - splat(1.0));
  }
  for (; i < n; ++i) y[i] = det_expm1(x[i]);
}

void det_elu_array(const double* x, double* y, int64_t n) {
  // Only x ≤ 0 needs e^x − 1, and det_expm1 takes one of two branches (the series for
  // |x| < 1/2, else e^x − 1): the elements are gathered by branch, so that every vector of
  // det_expm1_array computes one branch for all its lanes, and scattered back. Each y[i] is
  // still det_elu(x[i]) exactly; NaN goes with the far ones (det_expm1 keeps it). x may be y.
  constexpr int64_t kChunk = 256;
  double near[kChunk], far[kChunk];
  int32_t near_at[kChunk], far_at[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int32_t m = static_cast<int32_t>(n - i0 < kChunk ? n - i0 : kChunk);
    int32_t nn = 0, nf = 0;
    for (int32_t j = 0; j < m; ++j) {  // branch-free: both slots written, one counter moves
      const double v = x[i0 + j];
      near[nn] = v, near_at[nn] = j;
      far[nf] = v, far_at[nf] = j;
      nn += !(v > 0) & (v > -0.5);
      nf += !(v > -0.5);
      y[i0 + j] = v;  // final for v > 0
    }
    det_expm1_array(near, near, nn);
    det_expm1_array(far, far, nf);
    for (int32_t j = 0; j < nn; ++j) y[i0 + near_at[j]] = near[j];
    for (int32_t j = 0; j < nf; ++j) y[i0 + far_at[j]] = far[j];
  }
}

LBB_DET_CLONES void det_sigmoid_array(const double* x, double* y, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Vd t = load(x + i);
    // det_logistic_cdf: t < 0 → e^t/(1 + e^t), else 1/(1 + e^{−t}); both use e^{a}, a = −|t|.
    const Vd a = t < 0 ? t : -t;
    if (any_outside(a)) {
      for (int j = 0; j < kLanes; ++j) y[i + j] = det_logistic_cdf(x[i + j]);
      continue;
    }
    const Vd e = exp_lanes(a);
    const Vd one = splat(1.0);
    const Vd d = one + e;
    store(y + i, t < 0 ? e / d : one / d);
  }
  for (; i < n; ++i) y[i] = det_logistic_cdf(x[i]);
}

LBB_DET_CLONES void det_log_array(const double* x, double* y, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Vd v = load(x + i);
    // log_lanes covers normal, finite, positive lanes; det_log's special cases (NaN, ≤ 0,
    // subnormal, +∞) go through the scalar function.
    const auto normal = (v >= splat(2.2250738585072014e-308)) & (v <= splat(1.7976931348623157e308));
    bool all = true;
    for (int j = 0; j < kLanes; ++j) all &= normal[j] != 0;
    if (!all) {
      for (int j = 0; j < kLanes; ++j) y[i + j] = det_log(x[i + j]);
      continue;
    }
    store(y + i, log_lanes(v));
  }
  for (; i < n; ++i) y[i] = det_log(x[i]);
}

void det_log1p_array(const double* x, double* y, int64_t n) {
  // det_log1p: ln(u)·(x/(u − 1)) with u = 1 + x, after its special cases; the logarithms of u
  // in one array pass. x may be y, so x[i] is read before y[i] is written.
  constexpr int64_t kChunk = 256;
  double u[kChunk], lu[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = n - i0 < kChunk ? n - i0 : kChunk;
    for (int64_t j = 0; j < m; ++j) u[j] = 1.0 + x[i0 + j];
    det_log_array(u, lu, m);
    for (int64_t j = 0; j < m; ++j) {
      const double v = x[i0 + j];
      const bool special = v != v || v == std::numeric_limits<double>::infinity() || v <= -1.0 || u[j] == 1.0;
      y[i0 + j] = special ? det_log1p(v) : lu[j] * (v / (u[j] - 1.0));
    }
  }
}

void det_tanh_array(const double* x, double* y, int64_t n) {
  // det_tanh: r = −e/(2 + e) with e = det_expm1(−2|x|) (r = 1 for |x| > 22), odd; the
  // exponentials in one array pass. x may be y.
  constexpr int64_t kChunk = 256;
  double e[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = n - i0 < kChunk ? n - i0 : kChunk;
    for (int64_t j = 0; j < m; ++j) {
      const double v = x[i0 + j];
      e[j] = -2.0 * (v < 0 ? -v : v);
    }
    det_expm1_array(e, e, m);
    for (int64_t j = 0; j < m; ++j) {
      const double v = x[i0 + j];
      const double r = (v < 0 ? -v : v) > 22.0 ? 1.0 : -e[j] / (2.0 + e[j]);
      y[i0 + j] = v != v ? v : v < 0 ? -r : r;
    }
  }
}

// ---- float32 activations -----------------------------------------------------------------

namespace {

constexpr int kLanesF = 8;
typedef float Vf __attribute__((vector_size(4 * kLanesF)));
typedef int32_t Vfi __attribute__((vector_size(4 * kLanesF)));

__attribute__((always_inline)) inline Vf splat_f(float x) { return broadcast<Vf>(x); }

// 1/n! in float, n = 0..8: the Taylor coefficients of the float32 exp and ELU.
constexpr float kInvFactorialF[] = {1.0f,       1.0f,        1.0f / 2,    1.0f / 6,    1.0f / 24,
                                    1.0f / 120, 1.0f / 720,  1.0f / 5040, 1.0f / 40320};

// Σ_{n=0..7} kInvFactorialF[first + n]·x^n, Horner from the highest power.
__attribute__((always_inline)) inline Vf taylor8_f32(const Vf& x, int first) {
  Vf p = splat_f(kInvFactorialF[first + 7]);
  for (int n = 6; n >= 0; --n) p = p * x + kInvFactorialF[first + n];
  return p;
}

// e^x per lane (det_elementwise.h): 2^k·p(r), exact scaling for k ∈ [−126, 127].
__attribute__((always_inline)) inline Vf exp_f32_lanes(const Vf& x) {
  constexpr float kInvLn2 = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // 355/512: k·kLn2Hi is exact for |k| < 2^15
  constexpr float kLn2Lo = -2.12194440e-4f;
  Vf xc = x >= -87.0f ? x : splat_f(-87.0f);  // NaN → −87, restored below
  xc = xc <= 88.0f ? xc : splat_f(88.0f);
  const Vf kd = xc * kInvLn2;
  const Vf rounded = kd < 0 ? kd - 0.5f : kd + 0.5f;
  const Vfi k = __builtin_convertvector(rounded, Vfi);  // truncation
  const Vf kf = __builtin_convertvector(k, Vf);
  const Vf r = (xc - kf * kLn2Hi) - kf * kLn2Lo;
  const Vf p = taylor8_f32(r, 0);  // Σ r^n/n!, n ≤ 7
  const Vfi bits = (k + 127) << 23;
  Vf scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const Vf e = p * scale;
  return x == x ? e : x;
}

__attribute__((always_inline)) inline Vf elu_f32_lanes(const Vf& x) {
  // e^x − 1 = x·Σ_{n≥0} x^n/(n+1)! to n = 7 for −1/2 < x ≤ 0 (remainder < 1.1e-8·|x|).
  const Vf series = x * taylor8_f32(x, 1);
  const Vf far = exp_f32_lanes(x) - 1.0f;
  return x > 0 ? x : (x > -0.5f ? series : far);
}

__attribute__((always_inline)) inline Vf sigmoid_f32_lanes(const Vf& t) {
  const Vf a = t < 0 ? t : -t;
  const Vf e = exp_f32_lanes(a);
  const Vf d = 1.0f + e;
  return t < 0 ? e / d : 1.0f / d;
}

// y = F::lanes(x) over whole vectors; the tail in a zero-padded vector.
template <class F>
__attribute__((always_inline)) inline void map_f32(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + kLanesF <= n; i += kLanesF) {
    Vf v;
    std::memcpy(&v, x + i, sizeof v);
    v = F::lanes(v);
    std::memcpy(y + i, &v, sizeof v);
  }
  if (i < n) {
    Vf v = splat_f(0.0f);
    std::memcpy(&v, x + i, sizeof(float) * static_cast<size_t>(n - i));
    v = F::lanes(v);
    std::memcpy(y + i, &v, sizeof(float) * static_cast<size_t>(n - i));
  }
}
struct ExpF32 {
  __attribute__((always_inline)) static Vf lanes(const Vf& v) { return exp_f32_lanes(v); }
};
struct EluF32 {
  __attribute__((always_inline)) static Vf lanes(const Vf& v) { return elu_f32_lanes(v); }
};
struct SigmoidF32 {
  __attribute__((always_inline)) static Vf lanes(const Vf& v) { return sigmoid_f32_lanes(v); }
};

}  // namespace

LBB_DET_CLONES void det_exp_array_f32(const float* x, float* y, int64_t n) {
  map_f32<ExpF32>(x, y, n);
}
LBB_DET_CLONES void det_elu_array_f32(const float* x, float* y, int64_t n) {
  map_f32<EluF32>(x, y, n);
}
LBB_DET_CLONES void det_sigmoid_array_f32(const float* x, float* y, int64_t n) {
  map_f32<SigmoidF32>(x, y, n);
}

}  // namespace lbb
