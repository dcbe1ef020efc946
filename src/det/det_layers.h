// The layers of the deterministic flow evaluator (det_flow.h): conditioner networks in either
// precision, actnorm, invertible 1×1 convolutions, couplings, factor-out, squeezes and the
// variational dequantizer, each with its forward and inverse side by side.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "det/det_elementwise.h"
#include "det/det_net.h"
#include "det/det_tensor.h"
#include "det/flow_config.h"

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

}  // namespace lbb
