// Internal to FlowCoder (flow_coder.cc): elementwise local bits-back coding (DESIGN.md §4,
// thesis eqs. 3.23–3.27), the functors of each elementwise bijection the flow codes, the runs
// layers are coded in, and the 1×1 convolutions' Gaussians (Algorithm 3.1).
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "ans/message.h"
#include "det/det_elementwise.h"
#include "det/det_flow.h"
#include "det/det_profile.h"
#include "det/det_team.h"
#include "model/det_math.h"
#include "model/linear_ar_gaussian.h"
#include "model/uniform.h"
#include "model/windowed_gaussian.h"

namespace lbb::flow_coding {

// Intermediate values live on [−2^11, 2^11). A value outside the range is clamped to an edge
// bin: still lossless, but it costs dearly there and derails every later layer (the shipped
// model's activations did pass ±256). The range costs nothing while values stay in their
// Gaussians' windows (model/windowed_gaussian.h); 11 + 1 + k <= 52 keeps every grid value
// exact in a double for k <= 40.
inline constexpr int kLatentRangeBits = 11;

// ---- elementwise local bits-back (DESIGN.md §4, thesis eqs. 3.23–3.27) ------------------------
// An elementwise bijection b_i = f_i(a_i) is given by a functor with
//   double forward(int64_t i, double a, double* log_deriv) const;   // f_i(a), log f_i'(a)
//   double inverse(int64_t i, double b) const;                      // f_i⁻¹(b)
//   double noise(double a, double sigma) const;                     // a-side noise scale
// The a-side noise is σ except where f is far from linear over ±σ (the dequantizer's final
// sigmoid near u = 0 or 1); it is evaluated at a when popping/pushing b and at f⁻¹(b) when
// pushing/popping a, values both sides know, and those agree to O(σ).
// `pass` (nullable) marks elements that pass through unchanged (same grid on both sides).
//
// Encoding pops every b_i first, then pushes every a_i; decoding undoes the pushes, then the
// pops, in reverse order. Do not interleave pop b_i / push a_i per element: the slot a pop
// reads right after a push is that push's CDF position, so each popped b_i would be a
// deterministic function of the previous a, not a fresh sample. Per element that is
// harmless, but chained over hundreds of elements the positions drift into the tails and
// the codelength blows up (seen on real images). After the first pop of a run, every pop
// reads bits mixed by the preceding pops.

// Counts `n` windowed-Gaussian codings (pushes or pops) in the profile, if there is one.
inline void count_codings(DetScratch& s, int64_t n) {
  if (s.profile) s.profile->gaussian_codings += n;
}
// The codings of an elementwise layer: a pop and a push per element not passed through.
inline void count_elementwise_codings(DetScratch& s, int64_t n, const uint8_t* pass) {
  if (!s.profile) return;
  const int64_t passed = pass ? std::count_if(pass, pass + n, [](uint8_t p) { return p != 0; }) : 0;
  s.profile->gaussian_codings += 2 * (n - passed);
}

// The elements not passed through, ascending.
inline std::vector<int64_t> coded_elements(int64_t n, const uint8_t* pass) {
  std::vector<int64_t> idx;
  idx.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    if (!pass || !pass[i]) idx.push_back(i);
  return idx;
}

// The values f(a_i), log f'(a_i) and f⁻¹(b_i) depend on no message: those the coding order
// allows are computed for every element at once, the others for each run (forward_all /
// inverse_all: the same values as element by element) before the pops and pushes that use them.
// The coded elements are taken in runs of `run` (0: one run of all): encoding pops every b_i
// of a run, then pushes every a_i of it; decoding undoes the runs last first.

// [begin, end) of the run r of m coded elements.
inline std::pair<int64_t, int64_t> run_range(int64_t r, int64_t run, int64_t m) {
  const int64_t len = run > 0 ? run : std::max<int64_t>(m, 1);
  return {r * len, std::min(m, (r + 1) * len)};
}
inline int64_t run_count(int64_t run, int64_t m) { return run > 0 ? (m + run - 1) / run : (m > 0 ? 1 : 0); }

// The pixels of a run of a 1×1 convolution's C×C blocks: ⌈run / C⌉ (0: all).
inline int64_t pixel_run(int64_t run, int64_t c) { return run > 0 ? (run + c - 1) / c : 0; }

// ld[idx[j]] = e^{ld[idx[j]]} for j in [j0, j1) (det_exp_array: the same bits as det_exp).
inline void exp_at(double* ld, const int64_t* idx, int64_t j0, int64_t j1, std::vector<double>& tmp) {
  tmp.resize(static_cast<size_t>(j1 - j0));
  for (int64_t j = j0; j < j1; ++j) tmp[j - j0] = ld[idx[j]];
  det_exp_array(tmp.data(), tmp.data(), j1 - j0);
  for (int64_t j = j0; j < j1; ++j) ld[idx[j]] = tmp[j - j0];
}

template <class Fn>
void encode_elementwise(DetScratch& s, Message& m, const double* a, double* b, int64_t n, const uint8_t* pass,
                        const GridSpec& ga, const GridSpec& gb, double sigma, int64_t run, const Fn& fn) {
  count_elementwise_codings(s, n, pass);
  const std::vector<int64_t> idx = coded_elements(n, pass);
  const int64_t coded = static_cast<int64_t>(idx.size());
  std::vector<double> mean(static_cast<size_t>(n)), ld(static_cast<size_t>(n)), back(static_cast<size_t>(n)), tmp;
  fn.forward_all(idx.data(), coded, a, mean.data(), ld.data(), s.team);
  exp_at(ld.data(), idx.data(), 0, coded, tmp);  // f'(x̄)
  if (pass)
    for (int64_t i = 0; i < n; ++i)
      if (pass[i]) b[i] = a[i];
  for (int64_t r = 0, runs = run_count(run, coded); r < runs; ++r) {
    const auto [j0, j1] = run_range(r, run, coded);
    for (int64_t j = j0; j < j1; ++j) {  // ȳ ← pop N(f(x̄), (σ f'(x̄))²): bits back
      const int64_t i = idx[j];
      b[i] = gb.value(pop_windowed_gaussian(m, mean[i], fn.noise(a[i], sigma) * ld[i], gb));
    }
    fn.inverse_all(idx.data() + j0, j1 - j0, b, back.data(), s.team);
    for (int64_t j = j0; j < j1; ++j) {  // push x̄ with N(f⁻¹(ȳ), σ²)
      const int64_t i = idx[j];
      push_windowed_gaussian(m, ga.index_of(a[i]), back[i], fn.noise(back[i], sigma), ga);
    }
  }
}

template <class Fn>
void decode_elementwise(DetScratch& s, Message& m, const double* b, double* a, int64_t n, const uint8_t* pass,
                        const GridSpec& ga, const GridSpec& gb, double sigma, int64_t run, const Fn& fn) {
  count_elementwise_codings(s, n, pass);
  const std::vector<int64_t> idx = coded_elements(n, pass);
  const int64_t coded = static_cast<int64_t>(idx.size());
  std::vector<double> mean(static_cast<size_t>(n)), ld(static_cast<size_t>(n)), back(static_cast<size_t>(n)), tmp;
  fn.inverse_all(idx.data(), coded, b, back.data(), s.team);
  if (pass)
    for (int64_t i = 0; i < n; ++i)
      if (pass[i]) a[i] = b[i];
  for (int64_t r = run_count(run, coded); r-- > 0;) {
    const auto [j0, j1] = run_range(r, run, coded);
    for (int64_t j = j1; j-- > j0;) {  // x̄ ← pop N(f⁻¹(ȳ), σ²)
      const int64_t i = idx[j];
      a[i] = ga.value(pop_windowed_gaussian(m, back[i], fn.noise(back[i], sigma), ga));
    }
    fn.forward_all(idx.data() + j0, j1 - j0, a, mean.data(), ld.data(), s.team);
    exp_at(ld.data(), idx.data(), j0, j1, tmp);  // f'(x̄)
    for (int64_t j = j1; j-- > j0;) {  // push ȳ with N(f(x̄), (σ f'(x̄))²)
      const int64_t i = idx[j];
      push_windowed_gaussian(m, gb.index_of(b[i]), mean[i], fn.noise(a[i], sigma) * ld[i], gb);
    }
  }
}

// forward_all / inverse_all element by element, for transforms without array forms.
template <class Fn>
struct ElementByElement {
  void forward_all(const int64_t* idx, int64_t m, const double* a, double* y, double* ld, DetTeam*) const {
    const Fn& fn = static_cast<const Fn&>(*this);
    double unused;
    for (int64_t j = 0; j < m; ++j) y[idx[j]] = fn.forward(idx[j], a[idx[j]], ld ? &ld[idx[j]] : &unused);
  }
  void inverse_all(const int64_t* idx, int64_t m, const double* b, double* x, DetTeam*) const {
    const Fn& fn = static_cast<const Fn&>(*this);
    for (int64_t j = 0; j < m; ++j) x[idx[j]] = fn.inverse(idx[j], b[idx[j]]);
  }
};

// forward_all / inverse_all for transforms with array forms Fn::forward_array(a, y, ld, count)
// and Fn::inverse_array(b, x, count) (ld nullable; x may be b): the elements idx[0..m) are
// gathered, transformed and scattered back.
template <class Fn>
struct GatheredArrays {
  void forward_all(const int64_t* idx, int64_t m, const double* a, double* y, double* ld, DetTeam*) const {
    const Fn& fn = static_cast<const Fn&>(*this);
    std::vector<double> in(static_cast<size_t>(m)), out(static_cast<size_t>(m)), d(ld ? static_cast<size_t>(m) : 0);
    for (int64_t j = 0; j < m; ++j) in[j] = a[idx[j]];
    fn.forward_array(in.data(), out.data(), ld ? d.data() : nullptr, m);
    for (int64_t j = 0; j < m; ++j) y[idx[j]] = out[j];
    if (ld)
      for (int64_t j = 0; j < m; ++j) ld[idx[j]] = d[j];
  }
  void inverse_all(const int64_t* idx, int64_t m, const double* b, double* x, DetTeam*) const {
    const Fn& fn = static_cast<const Fn&>(*this);
    std::vector<double> v(static_cast<size_t>(m));
    for (int64_t j = 0; j < m; ++j) v[j] = b[idx[j]];
    fn.inverse_array(v.data(), v.data(), m);
    for (int64_t j = 0; j < m; ++j) x[idx[j]] = v[j];
  }
};

struct PreprocessFn : GatheredArrays<PreprocessFn> {  // y = logit(α + (1 − 2α)·v/256)
  double alpha;
  void forward_array(const double* v, double* y, double* ld, int64_t n) const {
    logit_pre_forward_array(v, alpha, y, ld, n);
  }
  void inverse_array(const double* y, double* v, int64_t n) const { logit_pre_inverse_array(y, alpha, v, n); }
  double noise(double, double sigma) const { return sigma; }
};

struct ActNormFn : ElementByElement<ActNormFn> {  // y = (x + bias)·e^{logs}
  const DetActNorm& l;
  double forward(int64_t i, double x, double* ld) const {
    *ld = l.logs[i];
    return (x + l.bias[i]) * l.scale[i];
  }
  double inverse(int64_t i, double y) const { return y * l.inv_scale[i] - l.bias[i]; }
  double noise(double, double sigma) const { return sigma; }
};

struct MixtureFn {  // logistic-mixture CDF coupling, eqs. 3.14–3.17
  const DetMixtureParams& p;
  double newton_stop;  // CodingParams::inverse_newton_stop
  double forward(int64_t i, double x, double* ld) const { return mixture_forward(x, p.element(i), ld); }
  double inverse(int64_t i, double y) const { return mixture_inverse(y, p.element(i), nullptr, newton_stop); }
  // In ranges of elements on the team (each element's result is computed alone).
  void forward_all(const int64_t* idx, int64_t m, const double* x, double* y, double* ld, DetTeam* team) const {
    det_parallel_ranges(team, m, 16, 64, [&](int64_t b, int64_t e) {
      mixture_forward_array(p.arrays(), idx + b, e - b, x, y, ld);
    });
  }
  void inverse_all(const int64_t* idx, int64_t m, const double* y, double* x, DetTeam* team) const {
    det_parallel_ranges(team, m, 16, 16, [&](int64_t b, int64_t e) {
      mixture_inverse_array(p.arrays(), idx + b, e - b, y, x, newton_stop);
    });
  }
  double noise(double, double sigma) const { return sigma; }
};

struct AffineFn : ElementByElement<AffineFn> {  // y = x·e^{ls} + shift
  const DetAffineParams& p;
  double forward(int64_t i, double x, double* ld) const {
    if (ld) *ld = p.log_scale[i];
    return affine_forward(x, p.exp_ls[i], p.shift[i]);
  }
  double inverse(int64_t i, double y) const { return affine_inverse(y, p.exp_neg_ls[i], p.shift[i]); }
  double noise(double, double sigma) const { return sigma; }
};

// f = g⁻¹, log f'(a) = −log g'(g⁻¹(a)): the dequantizer's couplings, run from u towards ε.
template <class Fn>
struct InverseOf {
  const Fn& g;
  double forward(int64_t i, double a, double* ld) const {
    const double x = g.inverse(i, a);
    double g_ld;
    g.forward(i, x, &g_ld);
    *ld = -g_ld;
    return x;
  }
  double inverse(int64_t i, double b) const {
    double unused;
    return g.forward(i, b, &unused);
  }
  // (idx ascending: the scratch arrays reach its last element.)
  void forward_all(const int64_t* idx, int64_t m, const double* a, double* x, double* ld, DetTeam* team) const {
    g.inverse_all(idx, m, a, x, team);
    std::vector<double> fx(m > 0 ? static_cast<size_t>(idx[m - 1] + 1) : 0);
    g.forward_all(idx, m, x, fx.data(), ld, team);
    for (int64_t j = 0; j < m; ++j) ld[idx[j]] = -ld[idx[j]];
  }
  void inverse_all(const int64_t* idx, int64_t m, const double* b, double* a, DetTeam* team) const {
    g.forward_all(idx, m, b, a, nullptr, team);
  }
  double noise(double, double sigma) const { return sigma; }
};

struct LogitFn : GatheredArrays<LogitFn> {  // t = logit(u) = σ⁻¹(u): log f'(u) = −log u − log(1 − u)
  void forward_array(const double* u, double* t, double* ld, int64_t n) const {
    sigmoid_inverse_array(u, t, ld, n);
  }
  void inverse_array(const double* t, double* u, int64_t n) const { sigmoid_forward_array(t, u, nullptr, n); }
  // Near u = 0 or 1 the sigmoid bends on the scale of u(1 − u): keep the noise on ū below
  // 1/64 of that, or a ū within a few σ of an edge would cost tens of bits (seen at σ = 2^-14).
  double noise(double u, double sigma) const {
    const double edge = u * (1.0 - u) * (1.0 / 64.0);
    return edge < sigma ? edge : sigma;
  }
};

// Runs fn with the coupling's elementwise transform (mixture or affine), parameters computed
// from the pass-through half of `cond` (the layer's input or output: they agree there).
template <class Body>
void with_coupling_fn(const DetCoupling& c, const double* cond, const double* ctx, DetScratch& s,
                      const CodingParams& params, const Body& body) {
  if (c.kind == CouplingKind::kMixture) {
    const DetMixtureParams p = c.mixture_params(cond, ctx, s);
    body(MixtureFn{p, params.inverse_newton_stop});
  } else {
    const DetAffineParams p = c.affine_params(cond, ctx, s);
    body(AffineFn{{}, p});
  }
}

// The dequantizer's context features of x° (given as x°/255 − 1/2, as in training).
inline std::vector<double> dequantizer_context(const DetDequantizer& q, const std::vector<double>& x_base, DetScratch& s) {
  std::vector<double> centered(x_base.size());
  for (size_t i = 0; i < x_base.size(); ++i) centered[i] = x_base[i] / 255.0 - 0.5;
  return q.context(centered.data(), s);
}

// ---- 1×1 convolutions (Algorithm 3.1 on each pixel's C×C block) ---------------------------------
// y = W·a at every pixel p, where a = x, or a = (x + bias)·scale when an actnorm is folded in
// (container version ≥ 6). The pair is one linear map J = W·diag(scale) per pixel, coded as
//   encode: ȳ ← pop N(W a(x̄), σ² W Wᵀ);   push x̄ with N(a⁻¹(W⁻¹ ȳ), σ² diag(scale)⁻²)
// i.e. the noise of Algorithm 3.1 placed on a, so the Cholesky factor of σ² W Wᵀ stays one per
// layer; net cost −log|det W| − Σ logs per pixel, as the two layers coded apart (eq. 3.23).

// mean[o] = Σ_i W[o][i]·a_i(x) at pixel p (i ascending).
inline void conv_mean(const DetInv1x1& l, const DetActNorm* an, const double* x, int64_t p, int64_t plane,
               double* in, double* mean) {
  const int64_t c = l.c;
  for (int64_t i = 0; i < c; ++i) {
    const int64_t e = i * plane + p;
    in[i] = an ? (x[e] + an->bias[e]) * an->scale[e] : x[e];
  }
  for (int64_t o = 0; o < c; ++o) {
    double acc = 0;
    for (int64_t i = 0; i < c; ++i) acc += l.weight[o * c + i] * in[i];
    mean[o] = acc;
  }
}

// back[i] = a_i⁻¹((W⁻¹ y)_i) at pixel p (o ascending) and the x-side noise σ / scale_i.
inline void conv_back(const DetInv1x1& l, const DetActNorm* an, const double* y, int64_t p, int64_t plane, double sigma,
               double* back, double* noise) {
  const int64_t c = l.c;
  for (int64_t i = 0; i < c; ++i) {
    double acc = 0;
    for (int64_t o = 0; o < c; ++o) acc += l.weight_inv[i * c + o] * y[o * plane + p];
    const int64_t e = i * plane + p;
    back[i] = an ? acc * an->inv_scale[e] - an->bias[e] : acc;
    noise[i] = an ? sigma * an->inv_scale[e] : sigma;
  }
}

inline void push_standard_normal(DetScratch& s, Message& m, const double* z, int64_t n, const GridSpec& g) {
  count_codings(s, n);
  for (int64_t i = n; i-- > 0;) push_windowed_gaussian(m, g.index_of(z[i]), 0.0, 1.0, g);
}

inline void pop_standard_normal(DetScratch& s, Message& m, double* z, int64_t n, const GridSpec& g) {
  count_codings(s, n);
  for (int64_t i = 0; i < n; ++i) z[i] = g.value(pop_windowed_gaussian(m, 0.0, 1.0, g));
}

}  // namespace lbb::flow_coding
