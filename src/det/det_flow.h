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
//
// Layers: det_layers.h; weights: det_weights.h; running images or streams on threads:
// det_parallel.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "det/det_layers.h"
#include "det/det_weights.h"
#include "io/tensor_archive.h"

namespace lbb {

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

 private:
  FlowConfig config_;
  DetPrecision prec_;
  DetShape base_;
  std::vector<DetLayer> layers_;
  std::unique_ptr<DetDequantizer> dequantizer_;
};

}  // namespace lbb
