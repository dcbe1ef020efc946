#include "det/det_flow.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "common/errors.h"
#include "model/det_math.h"

namespace lbb {

namespace {

size_t sz(int64_t n) { return static_cast<size_t>(n); }

bool use_attention(const FlowConfig& cfg, int64_t h, int64_t w) {
  return cfg.attention && (cfg.attention_max_positions == 0 || h * w <= cfg.attention_max_positions);
}

// Standard normal log density summed in element order: Σ (−z²/2 − log(2π)/2).
double normal_log_prob(const double* z, int64_t n) {
  const double half_log_2pi = 0.5 * det_log(2.0 * 3.14159265358979323846);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += -0.5 * (z[i] * z[i]) - half_log_2pi;
  return s;
}

}  // namespace

// ---- dequantizer ---------------------------------------------------------------------------------

DetDequantizer::DetDequantizer(DetTensorSource& src, const FlowConfig& cfg, DetShape base,
                               DetPrecision prec)
    : shape(base), ctx_channels(cfg.dequant_filters), prec_(prec) {
  const int64_t f = cfg.dequant_filters;
  if (prec == DetPrecision::kFloat64)
    ctx64_ = DetContextNet<double>(src, "dequantizer.", base.c, f, cfg.dequant_context_blocks);
  else
    ctx32_ = DetContextNet<float>(src, "dequantizer.", base.c, f, cfg.dequant_context_blocks);
  for (int i = 0; i < cfg.dequant_couplings; ++i) {
    const bool checker = base.c == 1 || i % 2 == 0;
    couplings.emplace_back(src, "dequantizer.flow.layer" + std::to_string(i), base, checker, (i / 2) % 2,
                           cfg.coupling, cfg.components, f, f, cfg.dequant_blocks,
                           /*attention=*/false, cfg.heads, prec);
  }
}

std::vector<double> DetDequantizer::context(const double* xc, DetScratch& scratch) const {
  const int64_t n = shape.plane();
  std::vector<double> ctx(sz(ctx_channels * n));
  if (prec_ == DetPrecision::kFloat64) {
    ctx64_.forward(xc, ctx.data(), shape.h, shape.w, scratch);
  } else {
    DetScratchFrame frame(scratch);
    float* xf = scratch.take<float>(sz(shape.size()));
    float* of = scratch.take<float>(ctx.size());
    for (int64_t i = 0; i < shape.size(); ++i) xf[i] = static_cast<float>(xc[i]);
    ctx32_.forward(xf, of, shape.h, shape.w, scratch);
    for (size_t i = 0; i < ctx.size(); ++i) ctx[i] = static_cast<double>(of[i]);
  }
  return ctx;
}

double DetDequantizer::transform(const double* eps, const double* ctx, double* u,
                                 DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t d = shape.size();
  double* a = scratch.take<double>(sz(d));
  double* b = scratch.take<double>(sz(d));
  std::memcpy(a, eps, sizeof(double) * sz(d));
  double logdet = 0;
  for (const DetCoupling& c : couplings) {
    logdet += c.forward(a, ctx, b, scratch);
    std::swap(a, b);
  }
  double* ld = scratch.take<double>(sz(d));
  sigmoid_forward_array(a, u, ld, d);
  double sig_ld = 0;
  for (int64_t i = 0; i < d; ++i) sig_ld += ld[i];
  return normal_log_prob(eps, d) - logdet - sig_ld;
}

double DetDequantizer::inverse(const double* u, const double* ctx, double* eps,
                               DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t d = shape.size();
  double* a = scratch.take<double>(sz(d));
  double* b = scratch.take<double>(sz(d));
  sigmoid_inverse_array(u, a, nullptr, d);
  for (size_t i = couplings.size(); i-- > 0;) {
    couplings[i].inverse(a, ctx, b, scratch);
    std::swap(a, b);
  }
  std::memcpy(eps, a, sizeof(double) * sz(d));
  double* uu = scratch.take<double>(sz(d));
  return transform(eps, ctx, uu, scratch);
}

// ---- the model ------------------------------------------------------------------------------------

double DetNllTerms::bpd(int64_t dims) const {
  return (-log_pz - logdet_flow - logdet_pre + log_q) / (static_cast<double>(dims) * det_log(2.0));
}

DetFlowModel::DetFlowModel(const FlowConfig& cfg, DetTensorSource& src, DetPrecision prec)
    : config_(cfg), prec_(prec) {
  base_ = {cfg.channels, cfg.height, cfg.width};
  for (int i = 0; i < cfg.base_squeezes; ++i) base_ = {base_.c * 4, base_.h / 2, base_.w / 2};
  if (cfg.dequant == DequantKind::kVariational)
    dequantizer_ = std::make_unique<DetDequantizer>(src, cfg, base_, prec);
  // The main flow as build_main_flow() builds it, flattened: a split ends the current
  // sequence, whose remaining steps live in the factor-out's ".inner" sequence.
  DetShape s = base_;
  std::string prefix = "flow";
  int local = 0, checkers = 0, channels = 0;
  auto next_name = [&]() { return prefix + ".layer" + std::to_string(local++); };
  for (FlowStep step : cfg.steps) {
    DetLayer layer;
    if (step == FlowStep::kSqueeze) {
      layer.kind = DetLayerKind::kSqueeze;
      layer.name = next_name();
      layer.in = s;
      s = {s.c * 4, s.h / 2, s.w / 2};
      layer.out = s;
      layers_.push_back(layer);
    } else if (step == FlowStep::kSplit) {
      layer.kind = DetLayerKind::kFactorOut;
      layer.name = next_name();
      layer.in = s;
      layer.factor_out = std::make_shared<DetFactorOut>(src, layer.name, s, prec);
      s = layer.factor_out->x1_shape();
      layer.out = s;
      prefix = layer.name + ".inner";
      local = 0;
      layers_.push_back(layer);
    } else {
      DetLayer an;
      an.kind = DetLayerKind::kActNorm;
      an.name = next_name();
      an.in = an.out = s;
      an.actnorm = std::make_shared<DetActNorm>(src, an.name, s, cfg.actnorm);
      layers_.push_back(an);
      if (s.c > 1) {
        DetLayer inv;
        inv.kind = DetLayerKind::kInv1x1;
        inv.name = next_name();
        inv.in = inv.out = s;
        inv.inv1x1 = std::make_shared<DetInv1x1>(src, inv.name, s);
        layers_.push_back(inv);
      }
      const bool checker = step == FlowStep::kChecker;
      const int parity = checker ? checkers++ % 2 : channels++ % 2;
      layer.kind = DetLayerKind::kCoupling;
      layer.name = next_name();
      layer.in = layer.out = s;
      layer.coupling = std::make_shared<DetCoupling>(
          src, layer.name, s, checker, parity, cfg.coupling, cfg.components, /*ctx=*/0, cfg.filters,
          cfg.blocks, use_attention(cfg, s.h, s.w), cfg.heads, prec);
      layers_.push_back(layer);
    }
  }
}

DetFlowModel DetFlowModel::from_archive(const TensorArchive& archive, const std::string& origin,
                                        DetPrecision prec) {
  const FlowConfig config = model_archive_config(archive, origin);
  DetArchiveSource src(archive, origin);
  return DetFlowModel(config, src, prec);
}

DetFlowModel DetFlowModel::load(const std::string& path, DetPrecision prec) {
  return from_archive(load_archive(path), path, prec);
}

void DetFlowModel::to_base(const double* image, double* base) const {
  DetShape s = image_shape();
  std::vector<double> a(image, image + s.size()), b(a.size());
  for (int i = 0; i < config_.base_squeezes; ++i) {
    det_squeeze(a.data(), s, b.data());
    s = {s.c * 4, s.h / 2, s.w / 2};
    std::swap(a, b);
  }
  std::memcpy(base, a.data(), sizeof(double) * a.size());
}

void DetFlowModel::from_base(const double* base, double* image) const {
  std::vector<DetShape> shapes = {image_shape()};
  for (int i = 0; i < config_.base_squeezes; ++i) {
    const DetShape& s = shapes.back();
    shapes.push_back({s.c * 4, s.h / 2, s.w / 2});
  }
  std::vector<double> a(base, base + base_.size()), b(a.size());
  for (int i = config_.base_squeezes; i-- > 0;) {
    det_unsqueeze(a.data(), shapes[sz(i)], b.data());
    std::swap(a, b);
  }
  std::memcpy(image, a.data(), sizeof(double) * a.size());
}

double DetFlowModel::preprocess(const double* v, double* y) const {
  std::vector<double> ld(sz(base_.size()));
  logit_pre_forward_array(v, config_.logit_alpha, y, ld.data(), base_.size());
  double sum = 0;
  for (double l : ld) sum += l;
  return sum;
}

void DetFlowModel::postprocess(const double* y, double* v) const {
  logit_pre_inverse_array(y, config_.logit_alpha, v, base_.size());
}

double DetFlowModel::flow_forward(const double* y, double* z, DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t d = base_.size();
  double* a = scratch.take<double>(sz(d));
  double* b = scratch.take<double>(sz(d));
  std::memcpy(a, y, sizeof(double) * sz(d));
  int64_t zend = d;  // z2 of the next factor-out goes just below zend
  double logdet = 0;
  for (const DetLayer& l : layers_) {
    switch (l.kind) {
      case DetLayerKind::kActNorm:
        l.actnorm->forward(a, b);
        logdet += l.actnorm->log_det();
        break;
      case DetLayerKind::kInv1x1:
        l.inv1x1->forward(a, b);
        logdet += l.inv1x1->log_det();
        break;
      case DetLayerKind::kCoupling:
        logdet += l.coupling->forward(a, nullptr, b, scratch);
        break;
      case DetLayerKind::kSqueeze:
        det_squeeze(a, l.in, b);
        break;
      case DetLayerKind::kFactorOut: {
        const int64_t n2 = l.factor_out->z2_shape().size();
        logdet += l.factor_out->forward(a, b, z + zend - n2, scratch);
        zend -= n2;
        break;
      }
    }
    std::swap(a, b);
  }
  std::memcpy(z, a, sizeof(double) * sz(zend));
  return logdet;
}

void DetFlowModel::flow_inverse(const double* z, double* y, DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t d = base_.size();
  double* a = scratch.take<double>(sz(d));
  double* b = scratch.take<double>(sz(d));
  int64_t pos = layers_.empty() ? d : layers_.back().out.size();
  std::memcpy(a, z, sizeof(double) * sz(pos));
  for (size_t i = layers_.size(); i-- > 0;) {
    const DetLayer& l = layers_[i];
    switch (l.kind) {
      case DetLayerKind::kActNorm: l.actnorm->inverse(a, b); break;
      case DetLayerKind::kInv1x1: l.inv1x1->inverse(a, b); break;
      case DetLayerKind::kCoupling: l.coupling->inverse(a, nullptr, b, scratch); break;
      case DetLayerKind::kSqueeze: det_unsqueeze(a, l.in, b); break;
      case DetLayerKind::kFactorOut: {
        const int64_t n2 = l.factor_out->z2_shape().size();
        l.factor_out->inverse(a, z + pos, b, scratch);
        pos += n2;
        break;
      }
    }
    std::swap(a, b);
  }
  std::memcpy(y, a, sizeof(double) * sz(d));
}

DetNllTerms DetFlowModel::forward(const double* x_plus_u, double log_q, double* z,
                                  DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t d = base_.size();
  double* y = scratch.take<double>(sz(d));
  double* zz = z ? z : scratch.take<double>(sz(d));
  DetNllTerms t;
  t.log_q = log_q;
  t.logdet_pre = preprocess(x_plus_u, y);
  t.logdet_flow = flow_forward(y, zz, scratch);
  t.log_pz = normal_log_prob(zz, d);
  return t;
}

DetNllTerms DetFlowModel::nll_terms(const double* x_base, const double* eps, double* u, double* z,
                                    DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t d = base_.size();
  double* uu = u ? u : scratch.take<double>(sz(d));
  double log_q = 0;
  if (dequantizer_) {
    double* xc = scratch.take<double>(sz(d));
    for (int64_t i = 0; i < d; ++i) xc[i] = x_base[i] / 255.0 - 0.5;
    const std::vector<double> ctx = dequantizer_->context(xc, scratch);
    log_q = dequantizer_->transform(eps, ctx.data(), uu, scratch);
  } else {
    std::memcpy(uu, eps, sizeof(double) * sz(d));
  }
  double* v = scratch.take<double>(sz(d));
  for (int64_t i = 0; i < d; ++i) v[i] = x_base[i] + uu[i];
  return forward(v, log_q, z, scratch);
}

}  // namespace lbb
