#include "det/det_elementwise.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "model/det_math.h"

// The SIMD helpers below are always inlined; their by-value vector ABI never matters.
#pragma GCC diagnostic ignored "-Wpsabi"

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

namespace {

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

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__) && \
    !defined(LBB_DET_NO_CLONES)
#define LBB_DET_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LBB_DET_CLONES
#endif

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

// ---- logistic mixture --------------------------------------------------------------------

namespace {

constexpr int kMaxComponents = 256;  // FlowConfig::components is at most 256

// log Σ_k e^{v_k}, k ascending (max first, so that every term is <= 1).
double log_sum_exp(const double* v, int k) {
  double m = v[0];
  for (int i = 1; i < k; ++i) m = v[i] > m ? v[i] : m;
  if (m == -std::numeric_limits<double>::infinity()) return m;
  double s = 0.0;
  for (int i = 0; i < k; ++i) s += det_exp(v[i] - m);
  return m + det_log(s);
}

}  // namespace

namespace {

// The far-tail path: log-sum-exp of log-sigmoids (every term finite however large |t| is).
double mixture_logit_cdf_tails(double x, const MixtureElement& p, double* log_dg) {
  double vc[kMaxComponents] = {}, v1c[kMaxComponents] = {}, vpdf[kMaxComponents] = {};  // far-tail path only
  const int k = p.k;
  for (int i = 0; i < k; ++i) {
    const double t = (x - p.mu[i]) * p.inv_s[i];
    const double at = t < 0 ? -t : t;
    // log σ(t) = min(t, 0) − log1p(e^{−|t|}),  log σ(−t) = min(−t, 0) − log1p(e^{−|t|}).
    const double l = det_log1p(det_exp(-at));
    const double lsp = (t < 0 ? t : 0.0) - l;
    const double lsn = (t > 0 ? -t : 0.0) - l;
    vc[i] = p.log_pi[i] + lsp;
    v1c[i] = p.log_pi[i] + lsn;
    vpdf[i] = p.log_pi[i] + lsp + lsn - p.log_s[i];  // logistic density σ(t)σ(−t)/s
  }
  const double log_c = log_sum_exp(vc, k), log_1mc = log_sum_exp(v1c, k);
  if (log_dg) *log_dg = log_sum_exp(vpdf, k) - log_c - log_1mc;  // pdf / (c (1 − c))
  return log_c - log_1mc;
}

// Sums c, 1 − c and the density directly. Returns false if one of them is too small for
// det_log to be accurate (then the caller takes the tail path).
LBB_DET_CLONES bool mixture_sums(double x, const MixtureElement& p, double* c, double* c1, double* pdf) {
  double sc = 0, s1 = 0, sp = 0;
  // Per component i: t = (x − μ_i)/s_i, e = e^{−|t|} ∈ (0, 1], q = σ(|t|), σ(−|t|) = e·q, the
  // terms computed kLanes components at a time, then summed in component order.
  for (int i0 = 0; i0 < p.k; i0 += kLanes) {
    const int m = p.k - i0 < kLanes ? p.k - i0 : kLanes;
    double mu[kLanes] = {}, inv_s[kLanes] = {}, pi[kLanes] = {};  // lanes ≥ m: unused zeros
    for (int j = 0; j < m; ++j) mu[j] = p.mu[i0 + j], inv_s[j] = p.inv_s[i0 + j], pi[j] = p.pi[i0 + j];
    const Vd vs = load(inv_s), t = (splat(x) - load(mu)) * vs;
    const Vd a = t < 0 ? t : -t;
    Vd e;
    if (any_outside(a)) {
      for (int j = 0; j < kLanes; ++j) e[j] = det_exp(a[j]);
    } else {
      e = exp_lanes(a);
    }
    const Vd q = splat(1.0) / (splat(1.0) + e);
    const Vd eq = e * q, vp = load(pi);
    const Vd tc = vp * (t < 0 ? eq : q), t1 = vp * (t < 0 ? q : eq), tp = vp * (eq * q) * vs;
    for (int j = 0; j < m; ++j) {
      sc += tc[j];
      s1 += t1[j];
      sp += tp[j];  // σ(t)σ(−t)/s
    }
  }
  *c = sc, *c1 = s1, *pdf = sp;
  constexpr double kTiny = 1e-280;
  return sc > kTiny && s1 > kTiny && sp > kTiny;
}

// g(x) and its slope g'(x) = pdf / (c (1 − c)) for the Newton step of mixture_inverse: on the
// direct path without the log and exp that mixture_logit_cdf's log-slope would cost.
double logit_cdf_and_slope(double x, const MixtureElement& p, double* slope) {
  double c, c1, pdf;
  if (!mixture_sums(x, p, &c, &c1, &pdf)) {
    double log_dg;
    const double g = mixture_logit_cdf_tails(x, p, &log_dg);
    *slope = det_exp(log_dg);
    return g;
  }
  *slope = pdf / (c * c1);  // c + c1 = 1, so the product does not underflow
  return det_log(c) - det_log(c1);
}

}  // namespace

double mixture_logit_cdf(double x, const MixtureElement& p, double* log_dg) {
  const int k = p.k;
  if (k < 1 || k > kMaxComponents) return std::numeric_limits<double>::quiet_NaN();
  double c, c1, pdf;
  if (!mixture_sums(x, p, &c, &c1, &pdf)) return mixture_logit_cdf_tails(x, p, log_dg);
  const double log_c = det_log(c), log_1mc = det_log(c1);
  if (log_dg) *log_dg = det_log(pdf) - log_c - log_1mc;
  return log_c - log_1mc;
}

double mixture_forward(double x, const MixtureElement& p, double* log_deriv) {
  double log_dg = 0;
  const double g = mixture_logit_cdf(x, p, log_deriv ? &log_dg : nullptr);
  if (log_deriv) *log_deriv = log_dg + p.a;
  return g * p.exp_a + p.b;
}

namespace {

// Where mixture_inverse starts for one element: the target t of g, a bracket [lo, hi] of the
// root, and the first x (also each lane's start in mixture_inverse_array).
struct InverseStart {
  double t, lo, hi, x;
};
// The largest log-scale of the element's components.
double max_log_scale(const MixtureElement& p) {
  double log_s_max = p.log_s[0];
  for (int i = 1; i < p.k; ++i) log_s_max = p.log_s[i] > log_s_max ? p.log_s[i] : log_s_max;
  return log_s_max;
}
// s_max = det_exp(max_log_scale(p)).
InverseStart inverse_start(double y, const MixtureElement& p, double s_max) {
  const int k = p.k;
  const double t = (y - p.b) * p.exp_neg_a;  // the value of g to reach
  double mu_min = p.mu[0], mu_max = p.mu[0];
  for (int i = 1; i < k; ++i) {
    mu_min = p.mu[i] < mu_min ? p.mu[i] : mu_min;
    mu_max = p.mu[i] > mu_max ? p.mu[i] : mu_max;
  }
  const double reach = ((t < 0 ? -t : t) + 1.0) * s_max;
  const double lo = mu_min - reach, hi = mu_max + reach;
  // Start: Σ_k π_k (μ_k + s_k t), the exact root when all components agree.
  double x = 0;
  for (int i = 0; i < k; ++i) x += p.pi[i] * (p.mu[i] + t / p.inv_s[i]);
  if (!(x > lo && x < hi)) x = lo + 0.5 * (hi - lo);
  return {t, lo, hi, x};
}

}  // namespace

double mixture_inverse(double y, const MixtureElement& p, int* iterations, double newton_stop) {
  const int k = p.k;
  if (k < 1 || k > kMaxComponents) return std::numeric_limits<double>::quiet_NaN();
  const InverseStart s = inverse_start(y, p, det_exp(max_log_scale(p)));
  const double t = s.t;
  double lo = s.lo, hi = s.hi, x = s.x;
  double dx_old = hi - lo, dx = dx_old;
  int evals = 0;
  while (evals < kMixtureInverseMaxIter) {
    double slope;
    const double r = logit_cdf_and_slope(x, p, &slope) - t;
    ++evals;
    if (r == 0) break;
    if (r < 0) lo = x;
    else hi = x;
    const double step = r / slope;
    const double newton = x - step;
    const double as = step < 0 ? -step : step;
    const double ado = dx_old < 0 ? -dx_old : dx_old;
    double next;
    dx_old = dx;
    const bool take = newton > lo && newton < hi && 2.0 * as <= ado;
    if (take) {
      dx = step;
      next = newton;
    } else {
      next = lo + 0.5 * (hi - lo);
      dx = x - next;
    }
    const double scale = 1.0 + (next < 0 ? -next : next);
    const double adx = dx < 0 ? -dx : dx;
    x = next;
    if (adx <= kMixtureInverseTol * scale || hi - lo <= kMixtureInverseTol * scale ||
        (take && adx <= newton_stop * scale))
      break;
  }
  if (iterations) *iterations = evals;
  return x;
}

MixtureElement MixtureArrays::element(int64_t i) const {
  MixtureElement e;
  e.k = k;
  e.a = a[i], e.b = b[i], e.exp_a = exp_a[i], e.exp_neg_a = exp_neg_a[i];
  e.log_pi = log_pi + i * k, e.pi = pi + i * k, e.mu = mu + i * k;
  e.log_s = log_s + i * k, e.inv_s = inv_s + i * k;
  return e;
}

namespace {

// ---- kLanes elements in lockstep (mixture_forward_array, mixture_inverse_array) -----------------
// Each lane repeats the scalar code's IEEE operations on its own element, so every result is
// bit-identical to mixture_forward / mixture_inverse (DetFlow.MixtureArraysAreBitIdentical).

__attribute__((always_inline)) inline bool any_lane(const Vl& m) {
  bool r = false;
  for (int i = 0; i < kLanes; ++i) r |= m[i] != 0;
  return r;
}

// det_exp per lane: exp_lanes where every lane is in its range, else the scalar function.
__attribute__((always_inline)) inline Vd exp_any(const Vd& a) {
  if (!any_outside(a)) return exp_lanes(a);
  Vd e;
  for (int j = 0; j < kLanes; ++j) e[j] = det_exp(a[j]);
  return e;
}

// One group of kLanes elements: their parameters gathered component by component.
struct MixtureLanes {
  int k = 0;
  MixtureElement elem[kLanes];
  Vd a, b, exp_a, exp_neg_a;
  Vd mu[kMaxComponents], inv_s[kMaxComponents], pi[kMaxComponents], log_s[kMaxComponents];

  explicit MixtureLanes(int components) : k(components) {}
  MixtureLanes(const MixtureArrays& p, const int64_t* e) : k(p.k) {
    for (int j = 0; j < kLanes; ++j) set_lane(p, j, e[j]);
  }
  // Puts element e of p into lane j.
  void set_lane(const MixtureArrays& p, int j, int64_t e) {
    elem[j] = p.element(e);
    a[j] = elem[j].a, b[j] = elem[j].b, exp_a[j] = elem[j].exp_a, exp_neg_a[j] = elem[j].exp_neg_a;
    for (int i = 0; i < k; ++i)
      mu[i][j] = elem[j].mu[i], inv_s[i][j] = elem[j].inv_s[i], pi[i][j] = elem[j].pi[i],
      log_s[i][j] = elem[j].log_s[i];
  }
};

// mixture_sums for every lane; returns the lanes whose sums are all above its threshold.
__attribute__((always_inline)) inline Vl mixture_sums_lanes(const Vd& x, const MixtureLanes& g, Vd* c, Vd* c1,
                                                           Vd* pdf) {
  Vd sc = splat(0.0), s1 = splat(0.0), sp = splat(0.0);
  for (int i = 0; i < g.k; ++i) {
    const Vd vs = g.inv_s[i], t = (x - g.mu[i]) * vs;
    const Vd a = t < 0 ? t : -t;
    const Vd e = exp_any(a);
    const Vd q = splat(1.0) / (splat(1.0) + e);
    const Vd eq = e * q, vp = g.pi[i];
    sc += vp * (t < 0 ? eq : q);
    s1 += vp * (t < 0 ? q : eq);
    sp += vp * (eq * q) * vs;
  }
  *c = sc, *c1 = s1, *pdf = sp;
  constexpr double kTiny = 1e-280;  // as mixture_sums
  return (sc > kTiny) & (s1 > kTiny) & (sp > kTiny);
}

// logit_cdf_and_slope for the lanes in `want` (others: unspecified values).
__attribute__((always_inline)) inline Vd logit_cdf_and_slope_lanes(const Vd& x, const MixtureLanes& g, const Vl& want,
                                                                  Vd* slope) {
  Vd c, c1, pdf;
  const Vl ok = mixture_sums_lanes(x, g, &c, &c1, &pdf);
  const Vd one = splat(1.0);
  Vd r = log_lanes(ok ? c : one) - log_lanes(ok ? c1 : one);
  Vd sl = pdf / (c * c1);
  for (int j = 0; j < kLanes; ++j)
    if (want[j] && !ok[j]) {
      double log_dg;
      r[j] = mixture_logit_cdf_tails(x[j], g.elem[j], &log_dg);
      sl[j] = det_exp(log_dg);
    }
  *slope = sl;
  return r;
}

LBB_DET_CLONES void mixture_forward_lanes(const MixtureArrays& p, const int64_t* e, const double* x, double* y,
                                         double* log_deriv, int m) {
  const MixtureLanes g(p, e);
  Vd xv;
  for (int j = 0; j < kLanes; ++j) xv[j] = x[e[j]];
  Vd c, c1, pdf;
  const Vl ok = mixture_sums_lanes(xv, g, &c, &c1, &pdf);
  const Vd one = splat(1.0);
  const Vd log_c = log_lanes(ok ? c : one), log_1mc = log_lanes(ok ? c1 : one);
  // log f' only when asked for (it costs a third logarithm).
  const Vd log_dg = log_deriv ? log_lanes(ok ? pdf : one) - log_c - log_1mc : one;
  const Vd out = (log_c - log_1mc) * g.exp_a + g.b, ld = log_dg + g.a;
  for (int j = 0; j < m; ++j) {
    if (ok[j]) {
      y[e[j]] = out[j];
      if (log_deriv) log_deriv[e[j]] = ld[j];
    } else {
      double l;
      y[e[j]] = mixture_forward(xv[j], g.elem[j], &l);
      if (log_deriv) log_deriv[e[j]] = l;
    }
  }
}

// inverse_start for the elements idx[i0 .. min(i0 + kLanes, m)), lane by lane the same IEEE
// operations: st[i] holds s_max on entry and t on return, st[m + i] lo, st[2m + i] hi,
// st[3m + i] the first x.
LBB_DET_CLONES void inverse_starts_lanes(const MixtureArrays& p, const int64_t* idx, const double* y, int64_t i0,
                                        int64_t m, double* st) {
  const int n = static_cast<int>(std::min<int64_t>(kLanes, m - i0));
  int64_t e[kLanes];
  Vd yv, s_max;
  for (int j = 0; j < kLanes; ++j) {  // lanes past the end repeat the last element
    const int64_t i = i0 + (j < n ? j : n - 1);
    e[j] = idx[i], yv[j] = y[idx[i]], s_max[j] = st[i];
  }
  const MixtureLanes g(p, e);
  const Vd t = (yv - g.b) * g.exp_neg_a;
  Vd mu_min = g.mu[0], mu_max = g.mu[0];
  for (int i = 1; i < g.k; ++i) {
    mu_min = g.mu[i] < mu_min ? g.mu[i] : mu_min;
    mu_max = g.mu[i] > mu_max ? g.mu[i] : mu_max;
  }
  const Vd reach = ((t < 0 ? -t : t) + 1.0) * s_max;
  const Vd lo = mu_min - reach, hi = mu_max + reach;
  Vd x = splat(0.0);
  for (int i = 0; i < g.k; ++i) x += g.pi[i] * (g.mu[i] + t / g.inv_s[i]);
  x = (x > lo) & (x < hi) ? x : lo + 0.5 * (hi - lo);
  for (int j = 0; j < n; ++j) {
    const size_t i = static_cast<size_t>(i0 + j), mm = static_cast<size_t>(m);
    st[i] = t[j], st[mm + i] = lo[j], st[2 * mm + i] = hi[j], st[3 * mm + i] = x[j];
  }
}

// mixture_inverse for the elements idx[0..m), kLanes at a time: a lane whose element is done
// (its own stopping rule, or kMixtureInverseMaxIter evaluations) stores it and takes the next
// element, so no lane idles while the others converge (in groups of four, 40 % of the lane
// evaluations idled on the shipped model). Every step is the scalar step, lane by lane
// (each start as inverse_start computes it), so every result is mixture_inverse's.
LBB_DET_CLONES void mixture_inverse_lanes(const MixtureArrays& p, const int64_t* idx, int64_t m, const double* y,
                                         double* xo, double newton_stop) {
  MixtureLanes g(p.k);
  Vd t, lo, hi, x, dx_old, dx;
  Vl active;
  int64_t elem[kLanes];  // the element in each lane (its result goes to xo[elem[j]])
  int evals[kLanes];
  int64_t next = 0;
  // Every element's start, kLanes elements at a time (inverse_starts_lanes).
  const size_t mm = static_cast<size_t>(m);
  std::vector<double> starts(4 * mm);
  double* const st = starts.data();  // t, lo, hi, x of element idx[i] at st[i], st[m + i], ...
  for (int64_t i = 0; i < m; ++i) st[i] = max_log_scale(p.element(idx[i]));
  det_exp_array(st, st, m);  // s_max, replaced by t in place
  for (int64_t i = 0; i < m; i += kLanes) inverse_starts_lanes(p, idx, y, i, m, st);
  const auto refill = [&](int j) {
    // An empty lane keeps its last element's values (or the first element's): inactive, its
    // results are never stored.
    const size_t i = static_cast<size_t>(next < m ? next : 0);
    const int64_t e = idx[i];
    g.set_lane(p, j, e);
    t[j] = st[i], lo[j] = st[mm + i], hi[j] = st[2 * mm + i], x[j] = st[3 * mm + i];
    dx_old[j] = dx[j] = hi[j] - lo[j];
    elem[j] = e, evals[j] = 0;
    active[j] = next < m ? -1 : 0;
    next += next < m;
  };
  for (int j = 0; j < kLanes; ++j) refill(j);
  while (any_lane(active)) {
    Vd slope;
    const Vd r = logit_cdf_and_slope_lanes(x, g, active, &slope) - t;
    const Vl act = active & (r != 0);  // r == 0: that lane is done, x unchanged
    lo = act & (r < 0) ? x : lo;
    hi = act & !(r < 0) ? x : hi;
    const Vd step = r / slope;
    const Vd newton = x - step;
    const Vd as = step < 0 ? -step : step;
    const Vd ado = dx_old < 0 ? -dx_old : dx_old;
    const Vl take = (newton > lo) & (newton < hi) & (2.0 * as <= ado);
    const Vd next_x = take ? newton : lo + 0.5 * (hi - lo);
    const Vd dx_new = take ? step : x - next_x;
    const Vd scale = 1.0 + (next_x < 0 ? -next_x : next_x);
    const Vd adx = dx_new < 0 ? -dx_new : dx_new;
    dx_old = act ? dx : dx_old;
    dx = act ? dx_new : dx;
    x = act ? next_x : x;
    const Vl going = act & !((adx <= kMixtureInverseTol * scale) | (hi - lo <= kMixtureInverseTol * scale) |
                             (take & (adx <= newton_stop * scale)));
    for (int j = 0; j < kLanes; ++j) {
      if (!active[j]) continue;
      active[j] = going[j];
      if (!going[j] || ++evals[j] == kMixtureInverseMaxIter) {
        xo[elem[j]] = x[j];
        refill(j);
      }
    }
  }
}

// Runs f(lane indices, count) on groups of kLanes elements of idx; the last group repeats its
// last element in the unused lanes (their results are not stored).
template <class F>
void for_lane_groups(const int64_t* idx, int64_t m, F f) {
  int64_t i = 0;
  for (; i + kLanes <= m; i += kLanes) f(idx + i, kLanes);
  if (i < m) {
    int64_t e[kLanes];
    for (int j = 0; j < kLanes; ++j) e[j] = idx[i + j < m ? i + j : m - 1];
    f(e, static_cast<int>(m - i));
  }
}

}  // namespace

void mixture_forward_array(const MixtureArrays& p, const int64_t* idx, int64_t m, const double* x, double* y,
                           double* log_deriv) {
  if (p.k < 1 || p.k > kMaxComponents) {  // the scalar function's NaN
    for (int64_t i = 0; i < m; ++i) {
      double ld = 0;
      y[idx[i]] = mixture_forward(x[idx[i]], p.element(idx[i]), &ld);
      if (log_deriv) log_deriv[idx[i]] = ld;
    }
    return;
  }
  for_lane_groups(idx, m, [&](const int64_t* e, int n) { mixture_forward_lanes(p, e, x, y, log_deriv, n); });
}

void mixture_inverse_array(const MixtureArrays& p, const int64_t* idx, int64_t m, const double* y, double* x,
                           double newton_stop) {
  if (p.k < 1 || p.k > kMaxComponents) {
    for (int64_t i = 0; i < m; ++i) x[idx[i]] = mixture_inverse(y[idx[i]], p.element(idx[i]), nullptr, newton_stop);
    return;
  }
  if (m > 0) mixture_inverse_lanes(p, idx, m, y, x, newton_stop);
}

// ---- logit preprocessing and sigmoid -----------------------------------------------------

double logit_pre_forward(double v, double alpha, double* log_deriv) {
  const double scale = (1.0 - 2.0 * alpha) / 256.0;
  const double p = alpha + scale * v;
  const double log_p = det_log(p), log_1mp = det_log1p(-p);
  if (log_deriv) *log_deriv = det_log(scale) - log_p - log_1mp;
  return log_p - log_1mp;
}

namespace {
// log_p[i] = det_log(p[i]) and log_1mp[i] = det_log1p(−p[i]) for i < n, in array passes (the
// logit's two logarithms). log_p may be p.
void logit_logs(const double* p, double* log_p, double* log_1mp, int64_t n) {
  for (int64_t i = 0; i < n; ++i) log_1mp[i] = -p[i];
  det_log_array(p, log_p, n);
  det_log1p_array(log_1mp, log_1mp, n);
}
}  // namespace

void logit_pre_forward_array(const double* v, double alpha, double* y, double* log_deriv, int64_t n) {
  const double scale = (1.0 - 2.0 * alpha) / 256.0;
  const double log_scale = det_log(scale);
  std::vector<double> log_p(static_cast<size_t>(n)), log_1mp(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) log_p[static_cast<size_t>(i)] = alpha + scale * v[i];  // p
  logit_logs(log_p.data(), log_p.data(), log_1mp.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const double lp = log_p[static_cast<size_t>(i)], l1 = log_1mp[static_cast<size_t>(i)];
    if (log_deriv) log_deriv[i] = log_scale - lp - l1;
    y[i] = lp - l1;
  }
}

void logit_pre_inverse_array(const double* y, double alpha, double* v, int64_t n) {
  const double scale = (1.0 - 2.0 * alpha) / 256.0;
  det_sigmoid_array(y, v, n);
  for (int64_t i = 0; i < n; ++i) v[i] = (v[i] - alpha) / scale;
}

double logit_pre_inverse(double y, double alpha) {
  const double scale = (1.0 - 2.0 * alpha) / 256.0;
  return (det_sigmoid(y) - alpha) / scale;
}

double sigmoid_forward(double t, double* log_deriv) {
  if (log_deriv) {
    const double at = t < 0 ? -t : t;
    const double l = det_log1p(det_exp(-at));
    *log_deriv = ((t < 0 ? t : 0.0) - l) + ((t > 0 ? -t : 0.0) - l);
  }
  return det_sigmoid(t);
}

double sigmoid_inverse(double u) { return det_log(u) - det_log1p(-u); }

void sigmoid_forward_array(const double* t, double* u, double* log_deriv, int64_t n) {
  if (log_deriv) {
    std::vector<double> l(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) l[static_cast<size_t>(i)] = t[i] < 0 ? t[i] : -t[i];  // −|t|
    det_exp_array(l.data(), l.data(), n);
    det_log1p_array(l.data(), l.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const double li = l[static_cast<size_t>(i)];
      log_deriv[i] = ((t[i] < 0 ? t[i] : 0.0) - li) + ((t[i] > 0 ? -t[i] : 0.0) - li);
    }
  }
  det_sigmoid_array(t, u, n);
}

void sigmoid_inverse_array(const double* u, double* t, double* log_deriv, int64_t n) {
  std::vector<double> log_u(static_cast<size_t>(n)), log_1mu(static_cast<size_t>(n));
  logit_logs(u, log_u.data(), log_1mu.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const double lu = log_u[static_cast<size_t>(i)], l1 = log_1mu[static_cast<size_t>(i)];
    if (log_deriv) log_deriv[i] = -(lu + l1);
    t[i] = lu - l1;
  }
}

}  // namespace lbb
