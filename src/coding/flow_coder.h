// Local bits-back coding of images with a trained flow (thesis §3.5, Algorithms 3.1, 3.3, 3.4;
// DESIGN.md §4). Torch-free: the networks are evaluated by DetFlowModel, whose results are
// bit-identical in every process, so the decoder rebuilds exactly the encoder's distributions.
//
// Grids (DESIGN.md §4: a value is an index s with value lo + (s + ½)·2^-k):
//   data  x̄ = x° + ū on [0, 256)      (256·2^k bins; ⌊x̄⌋ = x° exactly)
//   noise ū on [0, 1)                 (2^k bins)
//   every intermediate value and z on [−2^11, 2^11)   (2^(12+k) bins)
// Every Gaussian is a windowed one (model/windowed_gaussian.h), so pops stay within 16σ.
// Encoding one image (Algorithm 3.4 around the compositional algorithm, §3.5.4.3):
//   1. pop ū ~ q(u|x°): run the dequantizer flow's *decode* path (pop ε with N(0, I), then
//      each coupling of q and the final sigmoid, elementwise local bits-back);
//   2. push x̄ = x° + ū through the main flow, layer by layer: the logit preprocessing,
//      actnorm and couplings elementwise (Algorithm 3.3), each 1×1 convolution on C×C
//      blocks (Algorithm 3.1) — together with the actnorm before it, as one linear map,
//      since container version 6 — squeezes as permutations, each factor-out pushing x2 with
//      its learned prior N(μ(x1), σ(x1)²); finally push z with N(0, I).
//   Each layer pops its outputs and pushes its inputs in runs (since container version 7;
//   CodingParams::coding_run): all pops of a run, then all its pushes.
// Decoding is the exact mirror image in reverse order. For an elementwise y = f(x):
//   encode: ȳ ← pop N(f(x̄), (σ f'(x̄))²);   push x̄ with N(f⁻¹(ȳ), σ²)
//   decode: x̄ ← pop N(f⁻¹(ȳ), σ²);         push ȳ with N(f(x̄), (σ f'(x̄))²)
// costing −log2 f'(x) + O(σ²) per coordinate net (eqs. 3.23–3.27).
#pragma once

#include <cstdint>
#include <vector>

#include "ans/message.h"
#include "det/det_flow.h"
#include "model/grid.h"

namespace lbb {

// The coding run of container version ≥ 7 (CodingParams::coding_run). Local bits-back pops
// σ-noise (~18 bits at k = 32) for every element of a run before it pushes the run back, so
// a layer coded in runs of 64 reaches ~1,200 bits below the message's top where a layer coded
// whole reached ~18 bits per element: a tile's first pops on an empty stream go little deeper
// than its dequantization noise needs, and fewer tiles at the start of each stream are coded
// directly (committed grey crop: 43 instead of 33 of 64 tiles flow-coded, −0.9 % bytes).
// Runs of 32 measured no smaller on 1,000 Fashion-MNIST images, 128 0.04 % larger.
inline constexpr int64_t kCodingRun = 64;

struct CodingParams {
  int precision_bits = 32;  // k: values live on a 2^-k grid (thesis: δ = 2^-32); 8 ≤ k ≤ 40
  double sigma = 0x1p-14;   // σ of the local bits-back noise (thesis: 2^-14); 0 < σ < 1
  // The networks' arithmetic (det_tensor.h): fused from container version 5 on, separate before.
  DetProducts products = DetProducts::kFused;
  // Where float32 networks evaluate their activations (container flag kFlagFloat32Activations).
  DetActivations activations = DetActivations::kDouble;
  // Container version ≥ 6: each actnorm that precedes a 1×1 convolution is coded together
  // with it, as one linear map per pixel (FlowCoder::encode_main); before, elementwise.
  bool fold_actnorm = true;
  // Container version ≥ 6: the mixture couplings' inverses stop after a Newton step this small
  // (kMixtureInverseNewtonStop, det_elementwise.h); before, 0: only at 1e-13.
  double inverse_newton_stop = kMixtureInverseNewtonStop;
  // Container version ≥ 7: a layer's pops and pushes alternate in runs of this many elements
  // (kCodingRun; a 1×1 convolution's in runs of ⌈kCodingRun / C⌉ pixels); before, 0: all its
  // pops, then all its pushes. Runs bound how deep below the message's top a layer reaches.
  int64_t coding_run = kCodingRun;
};

class FlowCoder {
 public:
  // Throws std::invalid_argument on parameters out of range or a 1×1 convolution whose
  // σ²·W·Wᵀ is not numerically positive definite.
  FlowCoder(const DetFlowModel& model, CodingParams params);

  // Codes one image (uint8 [C][H][W]) onto m / off m. decode(encode(m, x)) restores m bit
  // for bit and returns x.  If `u_out` is non-null, encode writes the ū it popped (base
  // layout, D values) — for the theoretical codelength of the same sample.
  void encode(Message& m, const uint8_t* image, DetScratch& scratch, std::vector<double>* u_out = nullptr) const;
  void decode(Message& m, uint8_t* image, DetScratch& scratch) const;

  // −log2 p(x° + u) + log2 q(u|x°) in bits for given u (base layout): the dequantization
  // bound the coder should attain (DESIGN.md §3, theoretical_bpd).
  double theoretical_bits(const uint8_t* image, const std::vector<double>& u, DetScratch& scratch) const;

  // Algorithm 3.4's dequantization half, for coders of x̄ = x° + ū (also BlackBoxCoder):
  // pop_noise draws ū ~ q(u|x°) from m (the dequantizer flow's decode path; k fresh bits per
  // coordinate for uniform dequantization); push_noise is its exact inverse. Base layout.
  void pop_noise(Message& m, const std::vector<double>& x_base, std::vector<double>* u, DetScratch& s) const;
  void push_noise(Message& m, const std::vector<double>& x_base, const std::vector<double>& u, DetScratch& s) const;
  // x° = ⌊x̄⌋ and ū = x̄ − x° through the data grid's index (exact).
  void split_data(const std::vector<double>& v, std::vector<double>* x_base, std::vector<double>* u) const;

  const DetFlowModel& model() const { return model_; }
  const CodingParams& params() const { return params_; }
  const GridSpec& data_grid() const { return data_grid_; }
  const GridSpec& latent_grid() const { return latent_grid_; }

 private:
  struct Inv1x1Factor {
    std::vector<double> lower;  // Cholesky factor of σ²·W·Wᵀ, row-major C×C
    const DetActNorm* folded = nullptr;  // the actnorm coded with this convolution, if any
  };
  // Whether layer li is an actnorm coded by the 1×1 convolution after it (fold_actnorm).
  bool folded_into_next(size_t li) const;
  void encode_main(Message& m, std::vector<double> v, DetScratch& s) const;
  std::vector<double> decode_main(Message& m, DetScratch& s) const;

  const DetFlowModel& model_;
  CodingParams params_;
  GridSpec data_grid_, noise_grid_, latent_grid_;
  std::vector<Inv1x1Factor> inv1x1_;  // per layer (empty for other kinds)
};

}  // namespace lbb
