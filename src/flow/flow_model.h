// The full density model of an image set: dequantizer q(u|x) (uniform or a conditional
// flow, eq. 3.9), the fixed logit preprocessing, the main flow and the N(0, I) prior.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "det/flow_config.h"
#include "flow/layers.h"

namespace lbb {

// q(u|x°) as a conditional flow: u = σ(T(ε; ctx(x°))), ε ~ N(0, I) (Flow++ §3.2.1.2).
class DequantizerImpl : public torch::nn::Module {
 public:
  DequantizerImpl(const FlowConfig& config, int64_t c, int64_t h, int64_t w);
  // Context features of x° (given as x°/255 − 1/2).
  Tensor context(const Tensor& x_centered);
  // Draws u ∈ (0,1)^D given x°; returns (u, log q(u|x°)) with log q per sample [N].
  std::pair<Tensor, Tensor> sample(const Tensor& x_centered, at::Generator& gen);
  // The same for given noise ε ~ N(0, I): u = σ(T(ε; ctx(x°))).
  std::pair<Tensor, Tensor> transform(const Tensor& x_centered, const Tensor& eps);
  // log q(u|x°) for a given u (inverts T); used by tests and importance sampling checks.
  Tensor log_prob(const Tensor& x_centered, const Tensor& u);

  WnConv2d ctx_in{nullptr};
  std::vector<GatedConv> ctx_blocks;
  std::vector<ChannelNorm> ctx_norms;
  std::shared_ptr<FlowSequence> flow;
};
TORCH_MODULE(Dequantizer);

// Per-image terms of the dequantization bound, in nats, each [N].
struct NllTerms {
  Tensor log_pz;       // log N(z; 0, I)
  Tensor logdet_flow;  // log|det ∂z/∂y| of the main flow
  Tensor logdet_pre;   // log|det ∂y/∂(x°+u)| of the logit preprocessing
  Tensor log_q;        // log q(u|x°) (0 for uniform dequantization)
  // −log p(x° + u) + log q(u|x°) per image, in bits per dimension.
  Tensor bpd(int64_t dims) const;
};

class FlowModelImpl : public torch::nn::Module {
 public:
  explicit FlowModelImpl(const FlowConfig& config);

  // x: uint8 images [N, C, H, W]. One sample of u per image from `gen`.
  NllTerms nll_terms(const Tensor& x, at::Generator& gen);
  // The terms of rows `rows` of the batch x, with the very noise nll_terms(x, gen) draws for
  // the whole batch: data-parallel ranks each take their rows of one global batch (undefined
  // rows: all of them).
  NllTerms nll_terms_rows(const Tensor& x, at::Generator& gen, const Tensor& rows);
  // The same bound with u given (in the base-squeezed layout, u ∈ (0,1)).
  NllTerms nll_terms_given_u(const Tensor& x_squeezed, const Tensor& u, const Tensor& log_q);

  // y = logit(α + (1 − 2α)(x° + u)/256) and its inverse (to image values in [0, 256)).
  Tensor preprocess(const Tensor& x_plus_u, Tensor* logdet) const;
  Tensor postprocess(const Tensor& y) const;

  // Draws n images: z ~ N(0, T² I), x = ⌊f^{-1}(z)⌋, clamped to [0, 255]. uint8 [n, C, H, W].
  Tensor sample(int64_t n, double temperature, at::Generator& gen);

  Tensor to_base(const Tensor& x) const;    // base squeezes of an image batch
  Tensor from_base(const Tensor& x) const;  // inverse of to_base

  FlowConfig config;
  int64_t base_c, base_h, base_w;  // shape after the base squeezes
  Dequantizer dequantizer{nullptr};  // null for uniform dequantization
  std::shared_ptr<FlowSequence> flow;
};
TORCH_MODULE(FlowModel);

int64_t parameter_count(torch::nn::Module& module);

}  // namespace lbb
