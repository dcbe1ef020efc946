// Flow layers (RealNVP / Glow / Flow++), LibTorch. Every layer is a bijection with
// a forward pass that also returns log|det J| and an exact inverse; no `inverse` flags.
// Shapes: tensors are [N, C, H, W] unless stated; log-determinants are per sample, [N], nats.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "det/flow_config.h"

namespace lbb {

using torch::Tensor;

class FlowLayer : public torch::nn::Module {
 public:
  // y = f(x; ctx). Adds log|det ∂y/∂x| per sample to *logdet ([N]).
  virtual Tensor forward(const Tensor& x, Tensor* logdet, const Tensor& ctx) = 0;
  // x = f^{-1}(y; ctx).
  virtual Tensor inverse(const Tensor& y, const Tensor& ctx) = 0;
};
using FlowLayerPtr = std::shared_ptr<FlowLayer>;

// ---- building blocks of the conditioner (Flow++ section 3.2.2.2) --------------------------

// Weight-normalized convolution: w = g · v / ||v|| (per output channel), same padding.
class WnConv2dImpl : public torch::nn::Module {
 public:
  WnConv2dImpl(int64_t in, int64_t out, int64_t kernel, bool zero_init);
  Tensor forward(const Tensor& x);
  Tensor weight() const;  // the effective weight g · v / ||v||
  Tensor v, g, bias;
  int64_t pad;
};
TORCH_MODULE(WnConv2d);

// Layer norm over the channel dimension, independently at each position.
class ChannelNormImpl : public torch::nn::Module {
 public:
  explicit ChannelNormImpl(int64_t channels);
  Tensor forward(const Tensor& x);
  Tensor weight, bias;
};
TORCH_MODULE(ChannelNorm);

// x + a ⊙ σ(b), [a, b] = conv(elu(conv(elu(x)))): gated residual conv block.
class GatedConvImpl : public torch::nn::Module {
 public:
  GatedConvImpl(int64_t channels, double dropout);
  Tensor forward(const Tensor& x);
  WnConv2d conv1{nullptr}, conv2{nullptr};
  double dropout;
};
TORCH_MODULE(GatedConv);

// x + a ⊙ σ(b), [a, b] = proj(multi-head self-attention over all H·W positions).
class GatedAttentionImpl : public torch::nn::Module {
 public:
  GatedAttentionImpl(int64_t channels, int64_t heads);
  Tensor forward(const Tensor& x);
  WnConv2d qkv{nullptr}, proj{nullptr};
  int64_t heads;
};
TORCH_MODULE(GatedAttention);

// conv_in -> blocks × [gated conv, norm, (gated attention, norm)] -> elu -> conv_out.
// conv_out starts at zero, so every coupling starts at its initial (near-identity) transform.
class ConditionerImpl : public torch::nn::Module {
 public:
  ConditionerImpl(int64_t in, int64_t filters, int64_t out, int64_t blocks, bool attention,
                  int64_t heads, double dropout);
  Tensor forward(const Tensor& x);
  WnConv2d conv_in{nullptr}, conv_out{nullptr};
  std::vector<GatedConv> convs;
  std::vector<GatedAttention> attns;
  std::vector<ChannelNorm> norms;
};
TORCH_MODULE(Conditioner);

// ---- elementwise coupling transforms -----------------------------------------------------

// Logistic-mixture CDF transform (eqs. 3.14–3.17):
//   y = σ^{-1}(Σ_k π_k σ((x − μ_k)/s_k)) · exp(a) + b.
// Tensors: a, b [N,C,H,W]; log_pi (normalized), mu, log_s [N,K,C,H,W].
struct MixtureParams {
  Tensor a, b, log_pi, mu, log_s;
};
// Returns y; writes log ∂y/∂x per element to *log_deriv.
Tensor mixture_forward(const Tensor& x, const MixtureParams& p, Tensor* log_deriv);
// Solves mixture_forward(x) = y by bisection on a bracket that provably contains the root;
// `iterations` halvings (the bracket starts ≤ (|logit|+1)·max s + span(μ) wide).
Tensor mixture_inverse(const Tensor& y, const MixtureParams& p, int iterations);
// σ^{-1}(mixture CDF) at x, computed as log c − log(1 − c) with log-sum-exp of log-sigmoids.
Tensor mixture_logit_cdf(const Tensor& x, const MixtureParams& p);

// ---- layers --------------------------------------------------------------------------

// Space-to-depth: [N,C,H,W] -> [N,4C,H/2,W/2]. Volume preserving.
class Squeeze : public FlowLayer {
 public:
  Tensor forward(const Tensor& x, Tensor* logdet, const Tensor& ctx) override;
  Tensor inverse(const Tensor& y, const Tensor& ctx) override;
};
Tensor squeeze2x2(const Tensor& x);
Tensor unsqueeze2x2(const Tensor& y);

// y = (x + bias) · exp(logs), per channel or per activation; bias and logs are set from
// the first training batch so that y has zero mean and unit variance (data-dependent init).
class ActNorm : public FlowLayer {
 public:
  ActNorm(int64_t c, int64_t h, int64_t w, ActNormKind kind);
  Tensor forward(const Tensor& x, Tensor* logdet, const Tensor& ctx) override;
  Tensor inverse(const Tensor& y, const Tensor& ctx) override;
  Tensor bias, logs;
  Tensor initialized;  // scalar buffer: 0 until the data-dependent initialization ran
  int64_t positions;   // H·W when per channel (logs broadcasts over positions), else 1
};

// y = W x at every pixel, W ∈ R^{C×C} (Glow); log|det J| = H·W·log|det W|.
class Invertible1x1 : public FlowLayer {
 public:
  Invertible1x1(int64_t c, uint64_t seed);
  Tensor forward(const Tensor& x, Tensor* logdet, const Tensor& ctx) override;
  Tensor inverse(const Tensor& y, const Tensor& ctx) override;
  Tensor weight;  // [C, C], initialized to a random rotation
};

// Which half of the input a coupling passes through unchanged and conditions on.
enum class MaskKind { kChecker, kChannel };
Tensor make_mask(MaskKind kind, int parity, int64_t c, int64_t h, int64_t w);

// Coupling layer: x1 = x ⊙ m passes through; x2 = x ⊙ (1 − m) goes through an elementwise
// transform (affine or logistic mixture) whose parameters the conditioner computes from
// x1 (and the context ctx, when given). log|det J| = Σ_{m=0} log ∂y/∂x.
class Coupling : public FlowLayer {
 public:
  Coupling(int64_t c, int64_t h, int64_t w, MaskKind mask_kind, int parity, CouplingKind kind,
           int64_t components, int64_t ctx_channels, int64_t filters, int64_t blocks,
           bool attention, int64_t heads, double dropout);
  Tensor forward(const Tensor& x, Tensor* logdet, const Tensor& ctx) override;
  Tensor inverse(const Tensor& y, const Tensor& ctx) override;

  // Conditioner outputs for input whose conditioning half is x ⊙ m.
  MixtureParams mixture_params(const Tensor& x, const Tensor& ctx);
  std::pair<Tensor, Tensor> affine_params(const Tensor& x, const Tensor& ctx);  // (log scale, shift)

  CouplingKind kind;
  int64_t components;
  Tensor mask;        // buffer [1,C,H,W]: 1 = pass-through / conditioning, 0 = transformed
  Tensor mu_offset;   // buffer [1,K,1,1,1]: initial component means spread over [−1.5, 1.5]
  Tensor scale;       // [1,C,1,1]: a = scale · tanh(raw), bounds the log-scale
  Conditioner net{nullptr};

 private:
  Tensor conditioner_out(const Tensor& x, const Tensor& ctx, int64_t params_per_element);
};

// A sequence of layers; the output is flattened to [N, D]. A FactorOut, when present, is
// the last layer and holds the rest of the sequence.
class FlowSequence : public FlowLayer {
 public:
  FlowSequence(int64_t c, int64_t h, int64_t w);
  void add(const FlowLayerPtr& layer, std::vector<int64_t> out_shape);
  Tensor forward(const Tensor& x, Tensor* logdet, const Tensor& ctx) override;  // -> [N, D]
  Tensor inverse(const Tensor& z, const Tensor& ctx) override;                  // [N, D] ->
  std::vector<FlowLayerPtr> layers;
  std::vector<std::vector<int64_t>> out_shapes;  // per layer, without N; {D} = flat
  std::vector<int64_t> in_shape;
};

// Multi-scale factor-out (RealNVP/Glow): x = [x1, x2] split over channels;
// z2 = (x2 − μ(x1)) · exp(−log σ(x1)) with a learned conv prior, z1 = inner(x1);
// output [z1, z2] flat. With z2 ~ N(0, I) this is x2 ~ N(μ(x1), σ(x1)²).
class FactorOut : public FlowLayer {
 public:
  FactorOut(int64_t c, int64_t h, int64_t w, std::shared_ptr<FlowSequence> inner);
  Tensor forward(const Tensor& x, Tensor* logdet, const Tensor& ctx) override;  // -> [N, D]
  Tensor inverse(const Tensor& z, const Tensor& ctx) override;
  std::pair<Tensor, Tensor> prior_params(const Tensor& x1);  // (μ, log σ) of x2
  int64_t kept;  // channels of x1
  WnConv2d prior{nullptr};
  std::shared_ptr<FlowSequence> inner;
};

// Standard normal log density summed per sample: Σ −z²/2 − log(2π)/2.
Tensor standard_normal_log_prob(const Tensor& z);

}  // namespace lbb
