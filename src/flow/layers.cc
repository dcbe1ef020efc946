#include "flow/layers.h"

#include <cmath>

namespace lbb {

namespace F = torch::nn::functional;

// ---- conditioner blocks ----------------------------------------------------------------

WnConv2dImpl::WnConv2dImpl(int64_t in, int64_t out, int64_t kernel, bool zero_init)
    : pad(kernel / 2) {
  v = register_parameter("v", torch::randn({out, in, kernel, kernel}) *
                                  std::sqrt(1.0 / static_cast<double>(in * kernel * kernel)));
  Tensor norms = v.detach().flatten(1).norm(2, 1);
  g = register_parameter("g", zero_init ? torch::zeros({out}) : norms.clone());
  bias = register_parameter("bias", torch::zeros({out}));
}

Tensor WnConv2dImpl::weight() const {
  Tensor norms = v.flatten(1).norm(2, 1).clamp_min(1e-12);
  return v * (g / norms).view({-1, 1, 1, 1});
}

Tensor WnConv2dImpl::forward(const Tensor& x) {
  return torch::conv2d(x, weight(), bias, /*stride=*/1, /*padding=*/pad);
}

ChannelNormImpl::ChannelNormImpl(int64_t channels) {
  weight = register_parameter("weight", torch::ones({1, channels, 1, 1}));
  bias = register_parameter("bias", torch::zeros({1, channels, 1, 1}));
}

Tensor ChannelNormImpl::forward(const Tensor& x) {
  Tensor mean = x.mean(1, /*keepdim=*/true);
  Tensor centered = x - mean;
  Tensor var = centered.pow(2).mean(1, true);
  return centered * torch::rsqrt(var + 1e-5) * weight + bias;
}

GatedConvImpl::GatedConvImpl(int64_t channels, double dropout_p) : dropout(dropout_p) {
  conv1 = register_module("conv1", WnConv2d(channels, channels, 3, false));
  conv2 = register_module("conv2", WnConv2d(channels, 2 * channels, 3, false));
}

Tensor GatedConvImpl::forward(const Tensor& x) {
  Tensor h = torch::elu(conv1(torch::elu(x)));
  if (dropout > 0) h = torch::dropout(h, dropout, is_training());
  auto ab = conv2(h).chunk(2, 1);
  return x + ab[0] * torch::sigmoid(ab[1]);
}

GatedAttentionImpl::GatedAttentionImpl(int64_t channels, int64_t heads_) : heads(heads_) {
  TORCH_CHECK(channels % heads == 0, "attention: channels must be divisible by heads");
  qkv = register_module("qkv", WnConv2d(channels, 3 * channels, 1, false));
  proj = register_module("proj", WnConv2d(channels, 2 * channels, 1, false));
}

Tensor GatedAttentionImpl::forward(const Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t dh = c / heads;
  Tensor t = qkv(x).view({n, 3, heads, dh, h * w});
  Tensor q = t.select(1, 0), k = t.select(1, 1), v = t.select(1, 2);  // [N, heads, dh, HW]
  Tensor scores = torch::matmul(q.transpose(2, 3), k) / std::sqrt(static_cast<double>(dh));
  Tensor attn = torch::softmax(scores, -1);                    // [N, heads, HW(query), HW(key)]
  Tensor o = torch::matmul(v, attn.transpose(2, 3)).reshape({n, c, h, w});
  auto ab = proj(o).chunk(2, 1);
  return x + ab[0] * torch::sigmoid(ab[1]);
}

ConditionerImpl::ConditionerImpl(int64_t in, int64_t filters, int64_t out, int64_t blocks,
                                 bool attention, int64_t heads, double dropout) {
  conv_in = register_module("conv_in", WnConv2d(in, filters, 3, false));
  for (int64_t b = 0; b < blocks; ++b) {
    convs.push_back(register_module("conv" + std::to_string(b), GatedConv(filters, dropout)));
    norms.push_back(register_module("norm_conv" + std::to_string(b), ChannelNorm(filters)));
    if (attention) {
      attns.push_back(register_module("attn" + std::to_string(b), GatedAttention(filters, heads)));
      norms.push_back(register_module("norm_attn" + std::to_string(b), ChannelNorm(filters)));
    }
  }
  conv_out = register_module("conv_out", WnConv2d(filters, out, 3, /*zero_init=*/true));
}

Tensor ConditionerImpl::forward(const Tensor& x) {
  Tensor h = conv_in(x);
  size_t norm = 0;
  for (size_t b = 0; b < convs.size(); ++b) {
    h = norms[norm++](convs[b](h));
    if (!attns.empty()) h = norms[norm++](attns[b](h));
  }
  return conv_out(torch::elu(h));
}

// ---- logistic mixture transform ----------------------------------------------------------

namespace {

// Standardized inputs t_k = (x − μ_k)/s_k, shape [N,K,C,H,W].
Tensor standardized(const Tensor& x, const MixtureParams& p) {
  return (x.unsqueeze(1) - p.mu) * torch::exp(-p.log_s);
}

}  // namespace

Tensor mixture_logit_cdf(const Tensor& x, const MixtureParams& p) {
  Tensor t = standardized(x, p);
  Tensor log_c = torch::logsumexp(p.log_pi + torch::log_sigmoid(t), 1);
  Tensor log_1mc = torch::logsumexp(p.log_pi + torch::log_sigmoid(-t), 1);
  return log_c - log_1mc;
}

Tensor mixture_forward(const Tensor& x, const MixtureParams& p, Tensor* log_deriv) {
  Tensor t = standardized(x, p);
  Tensor ls_pos = torch::log_sigmoid(t), ls_neg = torch::log_sigmoid(-t);
  Tensor log_c = torch::logsumexp(p.log_pi + ls_pos, 1);
  Tensor log_1mc = torch::logsumexp(p.log_pi + ls_neg, 1);
  // log pdf of the mixture: logistic density σ(t)σ(−t)/s.
  Tensor log_pdf = torch::logsumexp(p.log_pi + ls_pos + ls_neg - p.log_s, 1);
  // ∂/∂x σ^{-1}(c(x)) = pdf / (c (1 − c)), then the affine part exp(a).
  if (log_deriv) *log_deriv = log_pdf - log_c - log_1mc + p.a;
  return (log_c - log_1mc) * torch::exp(p.a) + p.b;
}

Tensor mixture_inverse(const Tensor& y, const MixtureParams& p, int iterations) {
  torch::NoGradGuard no_grad;
  Tensor target = (y - p.b) * torch::exp(-p.a);  // σ^{-1}(c) to reach
  Tensor s_max = std::get<0>(p.log_s.max(1)).exp();
  Tensor reach = (target.abs() + 1) * s_max;
  // At x = min μ − t·max s every component CDF is ≤ σ(−t), so the mixture's logit is ≤ −t:
  // with t = |target| + 1 the root lies inside [lo, hi].
  Tensor lo = std::get<0>(p.mu.min(1)) - reach;
  Tensor hi = std::get<0>(p.mu.max(1)) + reach;
  for (int i = 0; i < iterations; ++i) {
    Tensor mid = (lo + hi) * 0.5;
    Tensor below = mixture_logit_cdf(mid, p) < target;
    lo = torch::where(below, mid, lo);
    hi = torch::where(below, hi, mid);
  }
  return (lo + hi) * 0.5;
}

// ---- squeeze ------------------------------------------------------------------------

Tensor squeeze2x2(const Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.reshape({n, c, h / 2, 2, w / 2, 2})
      .permute({0, 1, 3, 5, 2, 4})
      .reshape({n, c * 4, h / 2, w / 2});
}

Tensor unsqueeze2x2(const Tensor& y) {
  const int64_t n = y.size(0), c = y.size(1) / 4, h = y.size(2), w = y.size(3);
  return y.reshape({n, c, 2, 2, h, w}).permute({0, 1, 4, 2, 5, 3}).reshape({n, c, h * 2, w * 2});
}

Tensor Squeeze::forward(const Tensor& x, Tensor*, const Tensor&) { return squeeze2x2(x); }
Tensor Squeeze::inverse(const Tensor& y, const Tensor&) { return unsqueeze2x2(y); }

// ---- actnorm ------------------------------------------------------------------------

ActNorm::ActNorm(int64_t c, int64_t h, int64_t w, ActNormKind kind) {
  const bool per_channel = kind == ActNormKind::kPerChannel;
  std::vector<int64_t> shape = per_channel ? std::vector<int64_t>{1, c, 1, 1}
                                           : std::vector<int64_t>{1, c, h, w};
  positions = per_channel ? h * w : 1;
  bias = register_parameter("bias", torch::zeros(shape));
  logs = register_parameter("logs", torch::zeros(shape));
  initialized = register_buffer("initialized", torch::zeros({}));
}

Tensor ActNorm::forward(const Tensor& x, Tensor* logdet, const Tensor&) {
  if (is_training() && initialized.item<double>() == 0) {
    torch::NoGradGuard no_grad;
    std::vector<int64_t> dims = positions == 1 ? std::vector<int64_t>{0}
                                               : std::vector<int64_t>{0, 2, 3};
    Tensor mean = x.mean(dims, true);
    Tensor std = (x - mean).pow(2).mean(dims, true).sqrt();
    bias.copy_(-mean);
    // Floor on the scale: a constant input (a background pixel) must not get a huge gain.
    logs.copy_(-torch::log(std.clamp_min(1e-2)));
    initialized.fill_(1);
  }
  if (logdet) *logdet = *logdet + logs.sum() * static_cast<double>(positions);
  return (x + bias) * torch::exp(logs);
}

Tensor ActNorm::inverse(const Tensor& y, const Tensor&) { return y * torch::exp(-logs) - bias; }

// ---- invertible 1x1 convolution -------------------------------------------------------

Invertible1x1::Invertible1x1(int64_t c, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  Tensor q = std::get<0>(at::linalg_qr(torch::randn({c, c}, gen, torch::kFloat64)));
  weight = register_parameter("weight", q.to(torch::kFloat32));
}

Tensor Invertible1x1::forward(const Tensor& x, Tensor* logdet, const Tensor&) {
  const int64_t c = weight.size(0);
  if (logdet) {
    Tensor logabsdet = std::get<1>(at::linalg_slogdet(weight));
    *logdet = *logdet + logabsdet * static_cast<double>(x.size(2) * x.size(3));
  }
  return torch::conv2d(x, weight.view({c, c, 1, 1}));
}

Tensor Invertible1x1::inverse(const Tensor& y, const Tensor&) {
  const int64_t c = weight.size(0);
  return torch::conv2d(y, torch::linalg::inv(weight).view({c, c, 1, 1}));
}

// ---- coupling -----------------------------------------------------------------------

Tensor make_mask(MaskKind kind, int parity, int64_t c, int64_t h, int64_t w) {
  Tensor m = torch::zeros({1, c, h, w});
  auto a = m.accessor<float, 4>();
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        bool keep = kind == MaskKind::kChecker ? (i + j) % 2 == parity
                                               : (ch < c / 2) == (parity == 0);
        a[0][ch][i][j] = keep ? 1.f : 0.f;
      }
  return m;
}

Coupling::Coupling(int64_t c, int64_t h, int64_t w, MaskKind mask_kind, int parity,
                   CouplingKind kind_, int64_t components_, int64_t ctx_channels,
                   int64_t filters, int64_t blocks, bool attention, int64_t heads,
                   double dropout)
    : kind(kind_), components(kind_ == CouplingKind::kMixture ? components_ : 0) {
  mask = register_buffer("mask", make_mask(mask_kind, parity, c, h, w));
  mu_offset = register_buffer(
      "mu_offset", components > 1 ? torch::linspace(-1.5, 1.5, components).view({1, -1, 1, 1, 1})
                                  : torch::zeros({1, std::max<int64_t>(components, 1), 1, 1, 1}));
  scale = register_parameter("scale", torch::ones({1, c, 1, 1}));
  const int64_t per_element = kind == CouplingKind::kMixture ? 2 + 3 * components : 2;
  // Input: x ⊙ m, the mask pattern of channel 0 (tells positions apart, marks the zero
  // padding), and the context.
  net = register_module("net", Conditioner(c + 1 + ctx_channels, filters, per_element * c,
                                           blocks, attention, heads, dropout));
}

Tensor Coupling::conditioner_out(const Tensor& x, const Tensor& ctx, int64_t per_element) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  std::vector<Tensor> in = {x * mask, mask.narrow(1, 0, 1).expand({n, 1, h, w})};
  if (ctx.defined()) in.push_back(ctx);
  return net(torch::cat(in, 1)).view({n, per_element, c, h, w});
}

MixtureParams Coupling::mixture_params(const Tensor& x, const Tensor& ctx) {
  const int64_t k = components;
  Tensor out = conditioner_out(x, ctx, 2 + 3 * k);
  MixtureParams p;
  p.a = scale * torch::tanh(out.select(1, 0));
  p.b = out.select(1, 1);
  p.log_pi = torch::log_softmax(out.narrow(1, 2, k), 1);
  p.mu = out.narrow(1, 2 + k, k) + mu_offset;
  p.log_s = out.narrow(1, 2 + 2 * k, k).clamp_min(-7.0);
  return p;
}

std::pair<Tensor, Tensor> Coupling::affine_params(const Tensor& x, const Tensor& ctx) {
  Tensor out = conditioner_out(x, ctx, 2);
  return {scale * torch::tanh(out.select(1, 0)), out.select(1, 1)};
}

Tensor Coupling::forward(const Tensor& x, Tensor* logdet, const Tensor& ctx) {
  Tensor y, log_deriv;
  if (kind == CouplingKind::kMixture) {
    y = mixture_forward(x, mixture_params(x, ctx), &log_deriv);
  } else {
    auto [log_scale, shift] = affine_params(x, ctx);
    y = x * torch::exp(log_scale) + shift;
    log_deriv = log_scale;
  }
  Tensor keep = mask;
  if (logdet) *logdet = *logdet + (log_deriv * (1 - keep)).sum({1, 2, 3});
  return x * keep + y * (1 - keep);
}

Tensor Coupling::inverse(const Tensor& y, const Tensor& ctx) {
  // The conditioning half is unchanged, so the parameters computed from y ⊙ m are exact.
  Tensor x;
  if (kind == CouplingKind::kMixture) {
    const int iterations = y.scalar_type() == torch::kFloat64 ? 100 : 60;
    x = mixture_inverse(y, mixture_params(y, ctx), iterations);
  } else {
    auto [log_scale, shift] = affine_params(y, ctx);
    x = (y - shift) * torch::exp(-log_scale);
  }
  return y * mask + x * (1 - mask);
}

// ---- sequence and factor-out -----------------------------------------------------------

FlowSequence::FlowSequence(int64_t c, int64_t h, int64_t w) : in_shape{c, h, w} {}

void FlowSequence::add(const FlowLayerPtr& layer, std::vector<int64_t> out_shape) {
  register_module("layer" + std::to_string(layers.size()), layer);
  layers.push_back(layer);
  out_shapes.push_back(std::move(out_shape));
}

Tensor FlowSequence::forward(const Tensor& x, Tensor* logdet, const Tensor& ctx) {
  Tensor h = x;
  for (auto& layer : layers) h = layer->forward(h, logdet, ctx);
  return h.flatten(1);
}

Tensor FlowSequence::inverse(const Tensor& z, const Tensor& ctx) {
  std::vector<int64_t> shape = {z.size(0)};
  const auto& last = out_shapes.empty() ? in_shape : out_shapes.back();
  shape.insert(shape.end(), last.begin(), last.end());
  Tensor h = z.reshape(shape);
  for (size_t i = layers.size(); i-- > 0;) h = layers[i]->inverse(h, ctx);
  std::vector<int64_t> in = {z.size(0)};
  in.insert(in.end(), in_shape.begin(), in_shape.end());
  return h.reshape(in);
}

FactorOut::FactorOut(int64_t c, int64_t, int64_t, std::shared_ptr<FlowSequence> inner_)
    : kept(c - c / 2), inner(std::move(inner_)) {
  prior = register_module("prior", WnConv2d(kept, 2 * (c - kept), 3, /*zero_init=*/true));
  register_module("inner", inner);
}

std::pair<Tensor, Tensor> FactorOut::prior_params(const Tensor& x1) {
  auto ms = prior(x1).chunk(2, 1);
  return {ms[0], ms[1]};
}

Tensor FactorOut::forward(const Tensor& x, Tensor* logdet, const Tensor& ctx) {
  Tensor x1 = x.narrow(1, 0, kept), x2 = x.narrow(1, kept, x.size(1) - kept);
  auto [mu, log_sigma] = prior_params(x1);
  Tensor z2 = (x2 - mu) * torch::exp(-log_sigma);
  if (logdet) *logdet = *logdet - log_sigma.sum({1, 2, 3});
  Tensor z1 = inner->forward(x1, logdet, ctx);
  return torch::cat({z1, z2.flatten(1)}, 1);
}

Tensor FactorOut::inverse(const Tensor& z, const Tensor& ctx) {
  const int64_t n = z.size(0);
  const auto& s = inner->in_shape;
  const int64_t d1 = s[0] * s[1] * s[2];
  Tensor x1 = inner->inverse(z.narrow(1, 0, d1), ctx);
  auto [mu, log_sigma] = prior_params(x1);
  Tensor z2 = z.narrow(1, d1, z.size(1) - d1).reshape({n, -1, s[1], s[2]});
  return torch::cat({x1, z2 * torch::exp(log_sigma) + mu}, 1);
}

Tensor standard_normal_log_prob(const Tensor& z) {
  return (-0.5 * z.pow(2) - 0.5 * std::log(2 * M_PI)).flatten(1).sum(1);
}

}  // namespace lbb
