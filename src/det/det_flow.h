// DetFlowModel: a torch-free, deterministic evaluator of a trained FlowModel (flow_model.h),
// for the coding path (local bits-back coding, DESIGN.md §4–§5).
//
// It reads the model file's TensorArchive (meta["config"] + float32 tensors named like
// FlowModel's named_parameters()/named_buffers()) and evaluates, one image at a time,
// exactly the functions of the LibTorch modules in layers.cc / flow_model.cc:
//  * conditioner networks (det_net.h) in double (DetPrecision::kFloat64, the default: matches
//    LibTorch float64 to ~1e-12 relative on a trained model, ~1e-14 on small random ones) or
//    float (kFloat32: ~1.7× faster here, whole-model outputs within ~1e-5 relative of
//    float64; equally deterministic);
//  * every elementwise transform, its log-derivative and its inverse in double
//    (det_elementwise.h), from the per-element parameters the conditioners produce.
// Results depend only on the model and the image: not on threads, batch composition, SIMD
// width or timing (see det_net.h for the reduction-order contract).
//
// Layout: an image is a planar [C][H][W] array of double (torch's [1, C, H, W] order).  The
// flow works in the "base" layout: the image after config.base_squeezes space-to-depth
// squeezes (to_base).  The main flow is flattened into a list of layers (DetLayer); a
// factor-out layer splits x = [x1, x2] by channels, emits z2 and continues with x1, like
// FactorOut.  The flat z of the whole flow (FlowSequence::forward) is
//   [ x at the end of the last layer, z2 of the innermost factor-out, …, z2 of the first ].
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "det/det_elementwise.h"
#include "det/det_net.h"
#include "det/det_tensor.h"
#include "det/flow_config.h"
#include "io/tensor_archive.h"

namespace lbb {

enum class DetPrecision { kFloat64, kFloat32 };  // of the conditioner networks only

// A conditioner-like network in the chosen precision, with double input and output.
class DetConditionerNet {
 public:
  DetConditionerNet() = default;
  DetConditionerNet(DetTensorSource& src, const std::string& name, int64_t in, int64_t filters,
                    int64_t out, int64_t blocks, bool attention, int64_t heads, DetPrecision prec);
  void forward(const double* x, double* y, int64_t h, int64_t w, DetScratch& scratch) const;
  int64_t in() const;
  int64_t out() const;

 private:
  DetPrecision prec_ = DetPrecision::kFloat64;
  DetConditioner<double> f64_;
  DetConditioner<float> f32_;
};

// ---- layers ------------------------------------------------------------------------------------

// y = (x + bias)·e^{logs} elementwise (ActNorm); log ∂y/∂x = logs.  All arrays are expanded
// to one value per element of the [C, H, W] input.
class DetActNorm {
 public:
  DetActNorm(DetTensorSource& src, const std::string& name, DetShape shape, ActNormKind kind);
  void forward(const double* x, double* y) const;  // y = (x + bias)·scale
  void inverse(const double* y, double* x) const;  // x = y·inv_scale − bias
  double log_det() const { return log_det_; }      // Σ over elements of logs

  DetShape shape;
  std::vector<double> bias, logs, scale, inv_scale;  // per element; scale = e^{logs}, inv = e^{−logs}

 private:
  double log_det_ = 0;
};

// y = W·x at every pixel, W ∈ R^{C×C} (Invertible1x1); log|det J| = H·W·log|det W|.
class DetInv1x1 {
 public:
  DetInv1x1(DetTensorSource& src, const std::string& name, DetShape shape);
  void forward(const double* x, double* y) const;  // y[o][p] = Σ_i W[o][i]·x[i][p], i ascending
  void inverse(const double* y, double* x) const;  // x[i][p] = Σ_o W⁻¹[i][o]·y[o][p]
  double log_det() const { return static_cast<double>(shape.plane()) * log_abs_det; }

  DetShape shape;
  int64_t c = 0;
  std::vector<double> weight;      // W, row-major C×C (the stored float32 values)
  std::vector<double> weight_inv;  // W⁻¹ (Gauss–Jordan, partial pivoting, in double)
  double log_abs_det = 0;          // log|det W| (LU, partial pivoting)
};

// Per-element parameters of a logistic-mixture coupling, for every element of [C, H, W]
// (pass-through elements get parameters too; they are simply not used).
struct DetMixtureParams {
  int k = 0;
  int64_t n = 0;                            // elements
  std::vector<double> a, b, exp_a, exp_neg_a;  // [n]; a = scale_c·tanh(raw)
  std::vector<double> log_pi, pi, mu, log_s, inv_s;  // [n][k] (element-major); inv_s = e^{−log_s}
  MixtureElement element(int64_t i) const;
  MixtureArrays arrays() const;  // views of the vectors above
};

// Per-element parameters of an affine coupling: y = x·e^{log_scale} + shift.
struct DetAffineParams {
  int64_t n = 0;
  std::vector<double> log_scale, shift, exp_ls, exp_neg_ls;  // [n]
};

// Coupling layer (Coupling): elements with mask 1 pass through and condition; the others go
// through the elementwise transform whose parameters the conditioner computes from
// [x ⊙ m, m(channel 0), ctx].
class DetCoupling {
 public:
  DetCoupling(DetTensorSource& src, const std::string& name, DetShape shape, bool checker,
              int parity, CouplingKind kind, int components, int64_t ctx_channels,
              int64_t filters, int64_t blocks, bool attention, int64_t heads, DetPrecision prec);

  // Parameters from the conditioning half of x (only elements with mask 1 are read; x may
  // equally be the layer's input or output).  ctx: [ctx_channels][H·W] or nullptr.
  DetMixtureParams mixture_params(const double* x, const double* ctx, DetScratch& scratch) const;
  DetAffineParams affine_params(const double* x, const double* ctx, DetScratch& scratch) const;
  // Raw conditioner output [(2 + 3K or 2)·C][H·W] (for tests).
  std::vector<double> conditioner_out(const double* x, const double* ctx, DetScratch& scratch) const;

  // Whole layer.  forward returns Σ log ∂y/∂x over the transformed elements; when
  // log_deriv != nullptr it receives log ∂y_i/∂x_i per element (0 for pass-through ones).
  double forward(const double* x, const double* ctx, double* y, DetScratch& scratch,
                 double* log_deriv = nullptr) const;
  void inverse(const double* y, const double* ctx, double* x, DetScratch& scratch) const;

  DetShape shape;
  CouplingKind kind;
  int k = 0;                     // mixture components (0 for affine)
  int64_t ctx_channels = 0;
  std::vector<uint8_t> mask;     // [C][H][W]: 1 = pass-through/conditioning, 0 = transformed
  std::vector<int64_t> transformed;  // the elements with mask 0, ascending
  std::vector<double> scale;     // [C]
  std::vector<double> mu_offset;  // [K]

 private:
  int64_t per_element() const { return kind == CouplingKind::kMixture ? 2 + 3 * k : 2; }
  DetConditionerNet net_;
};

// Multi-scale factor-out (FactorOut): x = [x1, x2] by channels (x1: the first `kept`);
// z2 = (x2 − μ(x1))·e^{−log σ(x1)}, log|det| = −Σ log σ; the flow continues with x1.
class DetFactorOut {
 public:
  DetFactorOut(DetTensorSource& src, const std::string& name, DetShape shape, DetPrecision prec);
  // μ and log σ of x2 given x1 ([kept][H·W]); each [(C − kept)·H·W].
  void prior_params(const double* x1, double* mu, double* log_sigma, DetScratch& scratch) const;
  // x → (x1, z2); returns −Σ log σ.
  double forward(const double* x, double* x1, double* z2, DetScratch& scratch) const;
  // (x1, z2) → x.
  void inverse(const double* x1, const double* z2, double* x, DetScratch& scratch) const;

  DetShape shape;  // of x
  int64_t kept = 0;
  DetShape x1_shape() const { return {kept, shape.h, shape.w}; }
  DetShape z2_shape() const { return {shape.c - kept, shape.h, shape.w}; }

 private:
  DetPrecision prec_;
  DetConv<double> prior64_;
  DetConv<float> prior32_;
};

enum class DetLayerKind { kActNorm, kInv1x1, kCoupling, kSqueeze, kFactorOut };
const char* det_layer_kind_name(DetLayerKind kind);

// One layer of the flattened main flow.  Exactly the member matching `kind` is non-null
// (squeeze has none: [C,H,W] → [4C,H/2,W/2], out[4c + 2dy + dx][i][j] = in[c][2i+dy][2j+dx]).
struct DetLayer {
  DetLayerKind kind;
  std::string name;  // LibTorch module path, e.g. "flow.layer5.inner.layer2"
  DetShape in, out;  // out of a factor-out = shape of x1
  std::shared_ptr<const DetActNorm> actnorm;
  std::shared_ptr<const DetInv1x1> inv1x1;
  std::shared_ptr<const DetCoupling> coupling;
  std::shared_ptr<const DetFactorOut> factor_out;
};

void det_squeeze(const double* x, DetShape in, double* y);    // space-to-depth 2×2
void det_unsqueeze(const double* y, DetShape in, double* x);  // its inverse; `in` = shape of x

// ---- dequantizer ------------------------------------------------------------------------------

// q(u|x°): u = σ(T(ε; ctx(x°))), ε ~ N(0, I) (DequantizerImpl), in the base layout.
class DetDequantizer {
 public:
  DetDequantizer(DetTensorSource& src, const FlowConfig& cfg, DetShape base, DetPrecision prec);
  // ctx(x°) from x_centered = x°/255 − 1/2: [filters][H·W].
  std::vector<double> context(const double* x_centered, DetScratch& scratch) const;
  // u = σ(T(ε)); returns log q(u|x°) = log N(ε; 0, I) − log|det ∂T/∂ε| − Σ log σ'(t).
  double transform(const double* eps, const double* ctx, double* u, DetScratch& scratch) const;
  // ε = T⁻¹(σ⁻¹(u)); returns log q(u|x°).
  double inverse(const double* u, const double* ctx, double* eps, DetScratch& scratch) const;

  DetShape shape;
  int64_t ctx_channels = 0;
  std::vector<DetCoupling> couplings;  // T = couplings applied in order (ctx-conditioned)

 private:
  DetPrecision prec_;
  DetContextNet<double> ctx64_;
  DetContextNet<float> ctx32_;
};

// ---- the model ---------------------------------------------------------------------------------

// Per-image terms of the dequantization bound, in nats (NllTerms).
struct DetNllTerms {
  double log_pz = 0, logdet_flow = 0, logdet_pre = 0, log_q = 0;
  double bpd(int64_t dims) const;  // (−log_pz − logdet_flow − logdet_pre + log_q)/(D ln 2)
};

class DetFlowModel {
 public:
  DetFlowModel(const FlowConfig& config, DetTensorSource& src,
               DetPrecision prec = DetPrecision::kFloat64);
  // From a model file's archive (meta["format"] == "lbb-model", meta["config"]); throws
  // InputError naming `origin` on a bad or mismatching archive.
  static DetFlowModel from_archive(const TensorArchive& archive, const std::string& origin,
                                   DetPrecision prec = DetPrecision::kFloat64);
  static DetFlowModel load(const std::string& path, DetPrecision prec = DetPrecision::kFloat64);

  const FlowConfig& config() const { return config_; }
  DetPrecision precision() const { return prec_; }
  DetShape image_shape() const { return {config_.channels, config_.height, config_.width}; }
  DetShape base_shape() const { return base_; }
  int64_t dims() const { return config_.dims(); }
  const std::vector<DetLayer>& layers() const { return layers_; }
  const DetDequantizer* dequantizer() const { return dequantizer_.get(); }

  void to_base(const double* image, double* base) const;    // the base squeezes
  void from_base(const double* base, double* image) const;  // their inverse

  // y = logit preprocessing of v = x° + u (base layout); returns Σ log ∂y/∂v.
  double preprocess(const double* v, double* y) const;
  void postprocess(const double* y, double* v) const;

  // Main flow: y (base layout) → flat z [D]; returns log|det ∂z/∂y|.
  double flow_forward(const double* y, double* z, DetScratch& scratch) const;
  void flow_inverse(const double* z, double* y, DetScratch& scratch) const;

  // The bound's terms for x° + u given (base layout, like nll_terms_given_u); z optional.
  DetNllTerms forward(const double* x_plus_u, double log_q, double* z, DetScratch& scratch) const;
  // x° (base layout, integer values) and ε → u, log q via the dequantizer (uniform
  // dequantization: u = ε is taken as given, log q = 0), then the terms of x° + u.
  DetNllTerms nll_terms(const double* x_base, const double* eps, double* u, double* z,
                        DetScratch& scratch) const;

  // Runs fn(i, scratch) for i in [0, n) on `threads` std::threads (each with its own
  // scratch, images handed out in order).  Per-image results cannot depend on `threads`.
  // With fewer items than threads, each worker's scratch gets a DetTeam of the threads
  // left over (threads / n in all), so that even one item uses every thread.  If items
  // throw, no further item starts and the lowest one's exception is rethrown (the same error
  // for any thread count).
  static void parallel_images(int64_t n, int threads,
                              const std::function<void(int64_t, DetScratch&)>& fn);

 private:
  FlowConfig config_;
  DetPrecision prec_;
  DetShape base_;
  std::vector<DetLayer> layers_;
  std::unique_ptr<DetDequantizer> dequantizer_;
};

// ---- weight sources -----------------------------------------------------------------------------

// Tensors of an archive, by `prefix + name`; checks shapes and structural buffers (masks).
class DetArchiveSource : public DetTensorSource {
 public:
  DetArchiveSource(const TensorArchive& archive, std::string origin, std::string prefix = "");
  std::vector<float> get(const std::string& name, const std::vector<int64_t>& shape,
                         const std::vector<float>* init, bool exact) override;

 private:
  const TensorArchive& archive_;
  std::string origin_, prefix_;
};

// Deterministic pseudo-random weights (platform independent: splitmix64, values rounded to
// float): structural tensors get `init`, others init + noise·U(−1, 1) (or U(−1, 1) without
// init).  Records every requested tensor in build order.
class DetSyntheticSource : public DetTensorSource {
 public:
  DetSyntheticSource(uint64_t seed, double noise) : state_(seed), noise_(noise) {}
  std::vector<float> get(const std::string& name, const std::vector<int64_t>& shape,
                         const std::vector<float>* init, bool exact) override;
  TensorArchive archive;  // everything handed out so far

 private:
  uint64_t state_;
  double noise_;
};

// A complete model archive (meta "format", "config") with synthetic weights.
TensorArchive det_synthetic_model_archive(const FlowConfig& config, uint64_t seed, double noise);

}  // namespace lbb
