// Deterministic scalar functions and the elementwise bijections of the flow, in double.
//
// Every function here is built from IEEE-754 +, −, ×, ÷, sqrt and the project's own
// det_exp / det_log (model/det_math.h), compiled without FMA contraction, so the same
// inputs give the same bits in every process, thread and (IEEE) machine.  These are the
// functions local bits-back coding evaluates: the transform y = f(x), log f'(x) and the
// inverse x = f⁻¹(y) of every elementwise layer.
#pragma once

#include <cstdint>

namespace lbb {

// ---- scalar helpers (built from det_exp / det_log) ------------------------------------------

double det_expm1(double x);        // e^x − 1, accurate also for small |x| (series below 0.5)
double det_log1p(double x);        // ln(1 + x), accurate also for small |x|
double det_tanh(double x);         // via expm1(−2|x|), odd, |tanh| ≤ 1
double det_sigmoid(double x);      // 1/(1 + e^{−x}) (= det_logistic_cdf)
double det_softplus(double x);     // ln(1 + e^x) = max(x, 0) + log1p(e^{−|x|})
double det_log_sigmoid(double x);  // ln σ(x) = −softplus(−x)
double det_elu(double x);          // x > 0 ? x : e^x − 1 (torch::elu, alpha 1)

// Array versions: y[i] = f(x[i]) for i < n, bit-identical to the scalar functions (the same
// IEEE operations per element, evaluated four lanes at a time; elements outside the fast
// path's range, NaN included, go through the scalar function).  y may equal x.
void det_exp_array(const double* x, double* y, int64_t n);
void det_expm1_array(const double* x, double* y, int64_t n);
void det_elu_array(const double* x, double* y, int64_t n);
void det_sigmoid_array(const double* x, double* y, int64_t n);
void det_log_array(const double* x, double* y, int64_t n);
void det_log1p_array(const double* x, double* y, int64_t n);
void det_tanh_array(const double* x, double* y, int64_t n);

// ---- float32 activations (DetActivations::kFloat32: float32 networks in files with
// kFlagFloat32Activations) --------------------------------------------------------------------
// Functions of their own, not correctly rounded (within 4e-7 of the exact function: relative
// for exp, absolute for elu and sigmoid), built only from IEEE float +, −, ×, ÷ and comparisons
// in a fixed order, eight lanes at a time; a short tail is padded into a full vector, so every
// element gets the same operations wherever it lies, on every target (AVX-512, AVX2, SSE2) and
// machine.  y may equal x.
//   exp:     x clamped to [−87, 88] (NaN stays NaN), e^x = 2^k·p(r), k = round(x/ln 2)
//            (half away from zero), r = x − k·ln 2 in two parts, p the degree-7 Taylor polynomial;
//   elu:     x > 0 ? x : e^x − 1, by the degree-8 series x·Σ x^n/(n+1)! for x > −1/2;
//   sigmoid: t < 0 ? e/(1 + e) : 1/(1 + e) with e = e^{−|t|}.
void det_exp_array_f32(const float* x, float* y, int64_t n);
void det_elu_array_f32(const float* x, float* y, int64_t n);
void det_sigmoid_array_f32(const float* x, float* y, int64_t n);

// ---- logistic-mixture CDF coupling transform (thesis eqs. 3.14–3.17) ----------------------
//   f(x) = σ⁻¹( Σ_k π_k σ((x − μ_k)/s_k) ) · e^a + b,   strictly increasing in x.
// One element's parameters.  The pointed-to arrays hold K values each; inv_s[k] must be
// det_exp(−log_s[k]) (precomputed once per element by DetMixtureParams).
struct MixtureElement {
  int k = 0;
  double a = 0, b = 0;
  double exp_a = 1, exp_neg_a = 1;  // det_exp(a), det_exp(−a)
  const double* log_pi = nullptr;   // normalized: log_softmax of the logits
  const double* pi = nullptr;       // softmax of the logits (the same normalization)
  const double* mu = nullptr;
  const double* log_s = nullptr;    // clamped at >= −7 by the conditioner
  const double* inv_s = nullptr;    // det_exp(−log_s)
};

// g(x) = σ⁻¹(mixture CDF at x) = log c − log(1 − c); also writes log g'(x) =
// log pdf − log c − log(1 − c) when log_dg != nullptr. c = Σ π_k σ(t_k) and 1 − c =
// Σ π_k σ(−t_k) are summed directly (positive terms: no cancellation), one e^{−|t_k|} per
// component; where a sum underflows (far tails) it falls back to log-sum-exp of log-sigmoids.
double mixture_logit_cdf(double x, const MixtureElement& p, double* log_dg);
// y = g(x)·e^a + b; *log_deriv = log ∂y/∂x = log g'(x) + a (when non-null).
double mixture_forward(double x, const MixtureElement& p, double* log_deriv);

// x = f⁻¹(y) by safeguarded Newton iteration on g(x) = (y − b)·e^{−a} =: t:
//  * bracket: with r = (|t| + 1)·max_k s_k, every component CDF at min μ − r is ≤ σ(−|t|−1),
//    so g(min μ − r) ≤ −|t| − 1 < t, and likewise g(max μ + r) > t: the root is inside;
//  * start at Σ_k π_k (μ_k + s_k t) (exact for one component), clamped into the bracket;
//  * each step evaluates g and g', shrinks the bracket to the side of the root, and takes the
//    Newton step if it lands strictly inside the bracket and at least halves the step before
//    last (else bisects);
//  * stops when the step |Δx| <= kMixtureInverseTol·(1 + |x|), the bracket is that narrow,
//    g(x) == t exactly, or after kMixtureInverseMaxIter evaluations (bisection alone reaches
//    the tolerance from any bracket narrower than ~1e47, far wider than any real one);
//  * with newton_stop > 0, also right after a Newton step |Δx| <= newton_stop·(1 + |x|): the
//    error left is O(Δx²) (container version ≥ 6 codes with kMixtureInverseNewtonStop).
// Purely a function of (y, p): no timing, no thread dependence.  *iterations (if non-null)
// receives the number of g evaluations (mean ≈ 4, max 50 over the test's extreme cases).
// Accuracy (tested): |f⁻¹(f(x)) − x| <= 1e-12·(1 + |x|) + 4·ulp(y)/f'(x) — the second term is
// the conditioning of f⁻¹ where the mixture CDF is nearly flat.
constexpr double kMixtureInverseTol = 1e-13;
constexpr int kMixtureInverseMaxIter = 200;
// Local bits-back needs f⁻¹(ȳ) to far better than σ (the extra cost is ≈ (error/σ)²/(2 ln 2)
// bits), not to 1e-13. With this stop the shipped Fashion-MNIST model's coupling inverses take
// 3.2 instead of 6.0 evaluations per element, and differ from the full-tolerance results by at
// most 8e-9 (1.1 M elements; σ = 6.1e-5).
constexpr double kMixtureInverseNewtonStop = 1e-5;
double mixture_inverse(double y, const MixtureElement& p, int* iterations = nullptr, double newton_stop = 0);

// The parameters of many elements (DetMixtureParams' layout): a, b, exp_a, exp_neg_a per
// element; log_pi, pi, mu, log_s, inv_s element-major, K per element.
struct MixtureArrays {
  int k = 0;
  const double *a = nullptr, *b = nullptr, *exp_a = nullptr, *exp_neg_a = nullptr;
  const double *log_pi = nullptr, *pi = nullptr, *mu = nullptr, *log_s = nullptr, *inv_s = nullptr;
  MixtureElement element(int64_t i) const;
};
// Array forms over the m elements e = idx[0..m): y[e] = mixture_forward(x[e], element(e),
// &log_deriv[e]) (log_deriv may be null) and x[e] = mixture_inverse(y[e], element(e), nullptr,
// newton_stop).
// Bit-identical to the scalar functions: several elements run in lockstep, each lane doing
// exactly the scalar function's IEEE operations (the inverse's Newton iteration included; a
// lane that has stopped keeps its value); lanes on the far-tail path or outside the fast
// exponential's range fall back to the scalar code.
void mixture_forward_array(const MixtureArrays& p, const int64_t* idx, int64_t m, const double* x, double* y,
                           double* log_deriv);
void mixture_inverse_array(const MixtureArrays& p, const int64_t* idx, int64_t m, const double* y, double* x,
                           double newton_stop = 0);

// ---- affine coupling:  y = x·e^{ls} + shift,  log ∂y/∂x = ls -------------------------------
inline double affine_forward(double x, double exp_ls, double shift) { return x * exp_ls + shift; }
inline double affine_inverse(double y, double exp_neg_ls, double shift) { return (y - shift) * exp_neg_ls; }

// ---- logit preprocessing of image values v = x° + u ∈ [0, 256) -------------------------------
//   y = logit(p), p = α + (1 − 2α)·v/256;  log ∂y/∂v = log((1−2α)/256) − log p − log1p(−p).
double logit_pre_forward(double v, double alpha, double* log_deriv);
double logit_pre_inverse(double y, double alpha);  // (σ(y) − α)/((1 − 2α)/256)
// Array forms, bit-identical to the scalar functions (v may equal y).
void logit_pre_forward_array(const double* v, double alpha, double* y, double* log_deriv, int64_t n);
void logit_pre_inverse_array(const double* y, double alpha, double* v, int64_t n);

// ---- the dequantizer's final sigmoid:  u = σ(t),  log ∂u/∂t = log σ(t) + log σ(−t) ---------
double sigmoid_forward(double t, double* log_deriv);
double sigmoid_inverse(double u);  // log u − log1p(−u)
// Array forms, bit-identical to the scalar functions; log_deriv (nullable) gets
// log ∂u/∂t and log ∂t/∂u = −log u − log1p(−u) respectively. u may equal t.
void sigmoid_forward_array(const double* t, double* u, double* log_deriv, int64_t n);
void sigmoid_inverse_array(const double* u, double* t, double* log_deriv, int64_t n);

}  // namespace lbb
