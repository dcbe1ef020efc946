#include "flow/flow_model.h"

#include <cmath>

namespace lbb {

namespace {

bool use_attention(const FlowConfig& cfg, int64_t h, int64_t w) {
  return cfg.attention && (cfg.attention_max_positions == 0 || h * w <= cfg.attention_max_positions);
}

// Builds the main flow from config.steps starting at `from`, on inputs of shape c×h×w.
std::shared_ptr<FlowSequence> build_main_flow(const FlowConfig& cfg, size_t from, int64_t c,
                                              int64_t h, int64_t w, uint64_t* seed,
                                              int* checker_count, int* channel_count) {
  auto seq = std::make_shared<FlowSequence>(c, h, w);
  for (size_t i = from; i < cfg.steps.size(); ++i) {
    FlowStep step = cfg.steps[i];
    if (step == FlowStep::kSqueeze) {
      seq->add(std::make_shared<Squeeze>(), {c * 4, h / 2, w / 2});
      c *= 4, h /= 2, w /= 2;
    } else if (step == FlowStep::kSplit) {
      const int64_t kept = c - c / 2;
      auto inner = build_main_flow(cfg, i + 1, kept, h, w, seed, checker_count, channel_count);
      seq->add(std::make_shared<FactorOut>(c, h, w, inner), {c * h * w});
      return seq;
    } else {
      seq->add(std::make_shared<ActNorm>(c, h, w, cfg.actnorm), {c, h, w});
      if (c > 1) seq->add(std::make_shared<Invertible1x1>(c, (*seed)++), {c, h, w});
      const bool checker = step == FlowStep::kChecker;
      const int parity = checker ? (*checker_count)++ % 2 : (*channel_count)++ % 2;
      seq->add(std::make_shared<Coupling>(c, h, w, checker ? MaskKind::kChecker : MaskKind::kChannel,
                                          parity, cfg.coupling, cfg.components, /*ctx=*/0,
                                          cfg.filters, cfg.blocks, use_attention(cfg, h, w), cfg.heads,
                                          cfg.dropout),
               {c, h, w});
    }
  }
  return seq;
}

}  // namespace

// ---- dequantizer ----------------------------------------------------------------------

DequantizerImpl::DequantizerImpl(const FlowConfig& cfg, int64_t c, int64_t h, int64_t w) {
  const int64_t f = cfg.dequant_filters;
  ctx_in = register_module("ctx_in", WnConv2d(c, f, 3, false));
  for (int b = 0; b < cfg.dequant_context_blocks; ++b) {
    ctx_blocks.push_back(register_module("ctx_conv" + std::to_string(b), GatedConv(f, cfg.dropout)));
    ctx_norms.push_back(register_module("ctx_norm" + std::to_string(b), ChannelNorm(f)));
  }
  flow = std::make_shared<FlowSequence>(c, h, w);
  for (int i = 0; i < cfg.dequant_couplings; ++i) {
    // Alternate checkerboard and channel masks (the latter only when C > 1).
    const bool checker = c == 1 || i % 2 == 0;
    flow->add(std::make_shared<Coupling>(c, h, w, checker ? MaskKind::kChecker : MaskKind::kChannel,
                                         (i / 2) % 2, cfg.coupling, cfg.components, f, f,
                                         cfg.dequant_blocks, /*attention=*/false, cfg.heads,
                                         cfg.dropout),
              {c, h, w});
  }
  register_module("flow", flow);
}

Tensor DequantizerImpl::context(const Tensor& x_centered) {
  Tensor h = ctx_in(x_centered);
  for (size_t b = 0; b < ctx_blocks.size(); ++b) h = ctx_norms[b](ctx_blocks[b](h));
  return h;
}

std::pair<Tensor, Tensor> DequantizerImpl::sample(const Tensor& x_centered, at::Generator& gen) {
  return transform(x_centered, torch::randn(x_centered.sizes(), gen, x_centered.options()));
}

std::pair<Tensor, Tensor> DequantizerImpl::transform(const Tensor& x_centered, const Tensor& eps) {
  Tensor ctx = context(x_centered);
  Tensor logdet = torch::zeros({x_centered.size(0)}, x_centered.options());
  Tensor t = flow->forward(eps, &logdet, ctx).view_as(eps);
  // u = σ(t): log σ'(t) = log σ(t) + log σ(−t).
  Tensor sig_ld = (torch::log_sigmoid(t) + torch::log_sigmoid(-t)).flatten(1).sum(1);
  Tensor log_q = standard_normal_log_prob(eps) - logdet - sig_ld;
  return {torch::sigmoid(t), log_q};
}

Tensor DequantizerImpl::log_prob(const Tensor& x_centered, const Tensor& u) {
  Tensor t = torch::log(u) - torch::log1p(-u);
  Tensor ctx = context(x_centered);
  Tensor eps = flow->inverse(t.flatten(1), ctx);
  Tensor logdet = torch::zeros({u.size(0)}, u.options());
  flow->forward(eps, &logdet, ctx);
  Tensor sig_ld = (torch::log_sigmoid(t) + torch::log_sigmoid(-t)).flatten(1).sum(1);
  return standard_normal_log_prob(eps) - logdet - sig_ld;
}

// ---- model ----------------------------------------------------------------------------

Tensor NllTerms::bpd(int64_t dims) const {
  return (-log_pz - logdet_flow - logdet_pre + log_q) / (static_cast<double>(dims) * std::log(2.0));
}

FlowModelImpl::FlowModelImpl(const FlowConfig& cfg) : config(cfg) {
  base_c = cfg.channels, base_h = cfg.height, base_w = cfg.width;
  for (int i = 0; i < cfg.base_squeezes; ++i) base_c *= 4, base_h /= 2, base_w /= 2;
  torch::manual_seed(cfg.seed);  // parameter initialization is reproducible
  if (cfg.dequant == DequantKind::kVariational)
    dequantizer = register_module("dequantizer", Dequantizer(cfg, base_c, base_h, base_w));
  uint64_t seed = cfg.seed * 7919 + 1;
  int checkers = 0, channels = 0;
  flow = build_main_flow(cfg, 0, base_c, base_h, base_w, &seed, &checkers, &channels);
  register_module("flow", flow);
}

Tensor FlowModelImpl::to_base(const Tensor& x) const {
  Tensor h = x;
  for (int i = 0; i < config.base_squeezes; ++i) h = squeeze2x2(h);
  return h;
}

Tensor FlowModelImpl::from_base(const Tensor& x) const {
  Tensor h = x;
  for (int i = 0; i < config.base_squeezes; ++i) h = unsqueeze2x2(h);
  return h;
}

Tensor FlowModelImpl::preprocess(const Tensor& x_plus_u, Tensor* logdet) const {
  const double a = config.logit_alpha, scale = (1 - 2 * a) / 256.0;
  Tensor p = a + scale * x_plus_u;
  Tensor y = torch::log(p) - torch::log1p(-p);
  // dy/dx = scale / (p (1 − p))
  if (logdet)
    *logdet = (std::log(scale) - torch::log(p) - torch::log1p(-p)).flatten(1).sum(1);
  return y;
}

Tensor FlowModelImpl::postprocess(const Tensor& y) const {
  const double a = config.logit_alpha, scale = (1 - 2 * a) / 256.0;
  return (torch::sigmoid(y) - a) / scale;
}

NllTerms FlowModelImpl::nll_terms_given_u(const Tensor& xb, const Tensor& u, const Tensor& log_q) {
  NllTerms t;
  t.log_q = log_q;
  Tensor y = preprocess(xb + u, &t.logdet_pre);
  t.logdet_flow = torch::zeros({xb.size(0)}, y.options());
  Tensor z = flow->forward(y, &t.logdet_flow, Tensor());
  t.log_pz = standard_normal_log_prob(z);
  return t;
}

NllTerms FlowModelImpl::nll_terms_rows(const Tensor& x, at::Generator& gen, const Tensor& rows) {
  auto opts = torch::TensorOptions().dtype(flow->layers.empty() ? torch::kFloat32
                                                                : parameters().front().scalar_type());
  Tensor xb = to_base(x).to(opts);
  // The noise of the whole batch (DequantizerImpl::sample's draw), then our rows.
  Tensor noise = dequantizer ? torch::randn(xb.sizes(), gen, opts) : torch::rand(xb.sizes(), gen, opts);
  if (rows.defined()) {
    noise = noise.index_select(0, rows);
    xb = xb.index_select(0, rows);
  }
  Tensor u, log_q;
  if (dequantizer) {
    std::tie(u, log_q) = dequantizer->transform(xb / 255.0 - 0.5, noise);
  } else {
    u = noise;
    log_q = torch::zeros({xb.size(0)}, opts);
  }
  return nll_terms_given_u(xb, u, log_q);
}

NllTerms FlowModelImpl::nll_terms(const Tensor& x, at::Generator& gen) { return nll_terms_rows(x, gen, Tensor()); }

Tensor FlowModelImpl::sample(int64_t n, double temperature, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  auto opts = torch::TensorOptions().dtype(parameters().front().scalar_type());
  Tensor z = torch::randn({n, config.dims()}, gen, opts) * temperature;
  Tensor y = flow->inverse(z, Tensor());
  Tensor x = torch::floor(postprocess(y)).clamp(0, 255);
  return from_base(x).to(torch::kUInt8);
}

int64_t parameter_count(torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace lbb
