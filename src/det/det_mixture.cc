#include "det/det_elementwise.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "det/det_lanes.h"
#include "model/det_math.h"

namespace lbb {

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

}  // namespace lbb
