// The torch-free deterministic evaluator (flow/det_flow.h) against the LibTorch modules
// (flow/layers.h, flow/flow_model.h) in float64: every layer's outputs, conditioner
// parameters and log-derivatives, the whole model and the dequantizer; the Newton inverse;
// bit-identical results across thread counts and image orders; a golden hash that detects
// cross-platform drift; and the shipped default config.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>

#include "common/errors.h"
#include "det/det_parallel.h"
#include "det/det_elementwise.h"
#include "det/det_flow.h"
#include "flow/flow_model.h"
#include "flow/model_io.h"
#include "io/images.h"
#include "model/det_math.h"
#include "train/crops.h"

#ifndef LBB_SOURCE_DIR
#define LBB_SOURCE_DIR "."
#endif

namespace lbb {
namespace {

using Vec = std::vector<double>;

// Small noise on every parameter (zero-initialized output convs would make couplings
// trivial), float64 — as flow_layers_test.cc does.
void randomize(torch::nn::Module& m, double scale, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  m.to(torch::kFloat64);
  for (auto& p : m.parameters()) p.add_(torch::randn(p.sizes(), gen, torch::kFloat64) * scale);
}

// The model's archive as a model file would hold it (float32), loaded back into the torch
// model too, so that both evaluators see exactly the same weights.
TensorArchive sync_archive(FlowModel& model) {
  TensorArchive a = model_to_archive(model);
  a.meta["format"] = "lbb-model";
  a.meta["config"] = to_text(model->config);
  load_model_tensors(model, a, "test");
  model->eval();
  return a;
}

Vec to_vec(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kFloat64).contiguous();
  return Vec(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

torch::Tensor to_tensor(const Vec& v, DetShape s) {
  return torch::from_blob(const_cast<double*>(v.data()), {1, s.c, s.h, s.w}, torch::kFloat64).clone();
}

// max |a − b| / max |b| (norm-wise relative error).
double rel_err(const Vec& a, const Vec& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0, m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    d = std::max(d, std::fabs(a[i] - b[i]));
    m = std::max(m, std::fabs(b[i]));
  }
  return m > 0 ? d / m : d;
}
double rel_err(double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-300); }

// rel_err of a det result against LibTorch's, remembering the worst value of the test.
double g_worst_vs_torch = 0;
template <typename A>
double vs_torch(const A& a, const A& b) {
  const double e = rel_err(a, b);
  g_worst_vs_torch = std::max(g_worst_vs_torch, e);
  return e;
}
void report_worst(const std::string& what) {
  std::printf("%s: worst relative difference to LibTorch float64 %.3g\n", what.c_str(), g_worst_vs_torch);
  g_worst_vs_torch = 0;
}

constexpr double kTol = 1e-9;

std::shared_ptr<torch::nn::Module> module_named(FlowModel& model, const std::string& name) {
  for (const auto& item : model->named_modules())
    if (item.key() == name) return item.value();
  ADD_FAILURE() << "no torch module " << name;
  return nullptr;
}

// ---- scalar helpers ------------------------------------------------------------------------------

TEST(DetFlow, ScalarHelpersMatchLibm) {
  std::mt19937_64 rng(1);
  double worst_expm1 = 0, worst_log1p = 0, worst_tanh = 0, worst_ls = 0;
  for (int i = 0; i < 100000; ++i) {
    const double x = std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng),
                                std::uniform_int_distribution<int>(-40, 6)(rng));
    worst_expm1 = std::max(worst_expm1, rel_err(det_expm1(x), std::expm1(x)));
    worst_tanh = std::max(worst_tanh, rel_err(det_tanh(x), std::tanh(x)));
    if (x > -1) worst_log1p = std::max(worst_log1p, rel_err(det_log1p(x), std::log1p(x)));
    const double ls = -std::log1p(std::exp(-std::fabs(x))) + std::min(x, 0.0);
    worst_ls = std::max(worst_ls, std::fabs(det_log_sigmoid(x) - ls) / std::max(1.0, std::fabs(ls)));
  }
  EXPECT_LT(worst_expm1, 1e-15);
  EXPECT_LT(worst_log1p, 1e-15);
  EXPECT_LT(worst_tanh, 1e-15);
  EXPECT_LT(worst_ls, 1e-15);
  EXPECT_EQ(det_tanh(40.0), 1.0);
  EXPECT_EQ(det_tanh(-40.0), -1.0);
  EXPECT_EQ(det_elu(2.5), 2.5);
}

TEST(DetFlow, ArrayFunctionsAreBitIdentical) {
  std::mt19937_64 rng(2);
  Vec x;
  const double inf = std::numeric_limits<double>::infinity();
  for (double e : {0.0, -0.0, 0.5, -0.5, std::nextafter(0.5, 0.0), std::nextafter(-0.5, 0.0), -708.0,
                   709.0, -708.5, 709.5, -745.3, 710.0, 1e-310, -1e-310, inf, -inf,
                   std::numeric_limits<double>::quiet_NaN()})
    x.push_back(e);
  for (int i = 0; i < 200000; ++i) {
    const int kind = i % 3;
    if (kind == 0) x.push_back(std::uniform_real_distribution<double>(-750, 712)(rng));
    if (kind == 1) x.push_back(std::uniform_real_distribution<double>(-2, 2)(rng));
    if (kind == 2)
      x.push_back(std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng),
                             std::uniform_int_distribution<int>(-60, 10)(rng)));
  }
  Vec y(x.size());
  auto check = [&](void (*array)(const double*, double*, int64_t), double (*scalar)(double), const char* name) {
    for (int64_t n : {int64_t(x.size()), int64_t(7), int64_t(3)}) {
      array(x.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const double e = scalar(x[i]);
        ASSERT_EQ(std::memcmp(&y[i], &e, sizeof e), 0) << name << "(" << x[i] << ")";
      }
    }
  };
  check(det_exp_array, det_exp, "exp");
  check(det_expm1_array, det_expm1, "expm1");
  check(det_elu_array, det_elu, "elu");
  check(det_sigmoid_array, det_sigmoid, "sigmoid");
  check(det_log_array, det_log, "log");
  check(det_log1p_array, det_log1p, "log1p");
  check(det_tanh_array, det_tanh, "tanh");
  for (auto [array, scalar] : {std::pair{det_exp_array, det_exp}, std::pair{det_elu_array, det_elu},
                               std::pair{det_log1p_array, det_log1p}, std::pair{det_tanh_array, det_tanh}}) {
    Vec z = x;  // in place
    array(z.data(), z.data(), static_cast<int64_t>(z.size()));
    for (size_t i = 0; i < z.size(); ++i) {
      const double e = scalar(x[i]);
      ASSERT_EQ(std::memcmp(&z[i], &e, sizeof e), 0) << x[i];
    }
  }
}

// The elementwise layers' array forms (two outputs each) against their scalar definitions.
TEST(DetFlow, ElementwiseLayerArraysAreBitIdentical) {
  std::mt19937_64 rng(3);
  Vec t, u, v;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (double e : {0.0, -0.0, 1.0, 1e-300, 1e-310, 0.5, inf, -inf, nan, 40.0, -40.0, 800.0, -800.0}) {
    t.push_back(e), u.push_back(e), v.push_back(e);
  }
  for (int i = 0; i < 20000; ++i) {
    t.push_back(std::uniform_real_distribution<double>(-40, 40)(rng));
    u.push_back(std::ldexp(std::uniform_real_distribution<double>(0, 1)(rng), -std::uniform_int_distribution<int>(0, 60)(rng)));
    u.push_back(1.0 - u.back());
    v.push_back(std::uniform_real_distribution<double>(0, 256)(rng));
  }
  // The same bits, or both NaN (a NaN's sign and payload depend on operand order, which the
  // compiler may swap in a + b; no coding decision depends on them).
  auto same = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (a != a && b != b); };
  const int64_t nt = static_cast<int64_t>(t.size()), nu = static_cast<int64_t>(u.size()), nv = static_cast<int64_t>(v.size());
  Vec y(t.size() + u.size() + v.size()), ld(y.size());
  sigmoid_forward_array(t.data(), y.data(), ld.data(), nt);
  for (int64_t i = 0; i < nt; ++i) {
    double l;
    ASSERT_TRUE(same(y[i], sigmoid_forward(t[i], &l))) << t[i];
    ASSERT_TRUE(same(ld[i], l)) << t[i];
  }
  sigmoid_inverse_array(u.data(), y.data(), ld.data(), nu);
  for (int64_t i = 0; i < nu; ++i) {
    ASSERT_TRUE(same(y[i], sigmoid_inverse(u[i]))) << u[i];
    ASSERT_TRUE(same(ld[i], -(det_log(u[i]) + det_log1p(-u[i])))) << u[i];
  }
  const double alpha = 0.05;
  logit_pre_forward_array(v.data(), alpha, y.data(), ld.data(), nv);
  for (int64_t i = 0; i < nv; ++i) {
    double l;
    ASSERT_TRUE(same(y[i], logit_pre_forward(v[i], alpha, &l))) << v[i];
    ASSERT_TRUE(same(ld[i], l)) << v[i];
  }
  logit_pre_inverse_array(t.data(), alpha, y.data(), nt);
  for (int64_t i = 0; i < nt; ++i) ASSERT_TRUE(same(y[i], logit_pre_inverse(t[i], alpha))) << t[i];
}

// ---- architecture: tensor names and shapes -----------------------------------------------------

const char* kSmallConfig =
    "image = 1x8x8\nbase_squeezes = 1\ndequant_couplings = 3\ndequant_filters = 8\n"
    "dequant_context_blocks = 2\nfilters = 8\ncomponents = 3\nheads = 2\nattention = 1\n"
    "attention_max_positions = 4\nflow = checker channel split squeeze checker channel\n";

std::vector<FlowConfig> test_configs() {
  std::vector<FlowConfig> out;
  out.push_back(parse_flow_config(kSmallConfig, "small"));
  out.push_back(parse_flow_config(
      "image = 3x4x4\nbase_squeezes = 1\ndequant = uniform\ncoupling = affine\nfilters = 8\n"
      "blocks = 2\nheads = 4\nactnorm = activation\nflow = checker channel checker split channel\n",
      "affine"));
  out.push_back(parse_flow_config(
      "image = 1x4x4\nbase_squeezes = 0\ndequant = uniform\nfilters = 4\ncomponents = 1\nblocks = 0\n"
      "attention = 0\nactnorm = channel\nflow = checker squeeze channel checker\n",
      "mini"));
  return out;
}

TEST(DetFlow, TensorNamesAndShapesMatchTorch) {
  std::vector<FlowConfig> cfgs = test_configs();
  cfgs.push_back(load_flow_config(LBB_SOURCE_DIR "/configs/fmnist_flowpp.cfg"));
  for (const FlowConfig& cfg : cfgs) {
    FlowModel model(cfg);
    std::map<std::string, std::vector<int64_t>> torch_specs, det_specs;
    for (const NamedTensor& t : model_to_archive(model).tensors) torch_specs[t.name] = t.shape;
    TensorArchive syn = det_synthetic_model_archive(cfg, 1, 0.1);
    for (const NamedTensor& t : syn.tensors) det_specs[t.name] = t.shape;
    EXPECT_EQ(torch_specs, det_specs) << to_text(cfg);
    // The synthetic archive is a valid model file for LibTorch too.
    load_model_tensors(model, syn, "synthetic");
  }
}

TEST(DetFlow, RejectsMismatchingArchives) {
  FlowConfig cfg = parse_flow_config(kSmallConfig, "small");
  TensorArchive a = det_synthetic_model_archive(cfg, 2, 0.1);
  EXPECT_NO_THROW(DetFlowModel::from_archive(a, "ok"));
  TensorArchive missing = a;
  missing.tensors.erase(missing.tensors.begin() + 3);
  EXPECT_THROW(DetFlowModel::from_archive(missing, "missing"), InputError);
  TensorArchive shape = a;
  shape.tensors[0].shape.push_back(1);
  EXPECT_THROW(DetFlowModel::from_archive(shape, "shape"), InputError);
  TensorArchive mask = a;
  for (NamedTensor& t : mask.tensors)
    if (t.name.size() > 5 && t.name.substr(t.name.size() - 5) == ".mask") {
      t.data[0] = 1.f - t.data[0];
      break;
    }
  EXPECT_THROW(DetFlowModel::from_archive(mask, "mask"), InputError);
  TensorArchive nocfg = a;
  nocfg.meta.erase("config");
  EXPECT_THROW(DetFlowModel::from_archive(nocfg, "nocfg"), InputError);
}

// ---- layer by layer against LibTorch ------------------------------------------------------------

// Walks the det main flow on y and checks every layer against its torch module.
void check_layers_against_torch(FlowModel& model, const DetFlowModel& det, const Vec& y_in) {
  torch::NoGradGuard no_grad;
  DetScratch scratch;
  Vec x = y_in;
  for (const DetLayer& l : det.layers()) {
    SCOPED_TRACE(l.name + " (" + det_layer_kind_name(l.kind) + ")");
    auto mod = module_named(model, l.name);
    ASSERT_TRUE(mod);
    torch::Tensor xt = to_tensor(x, l.in);
    Vec y(static_cast<size_t>(l.out.size()));
    if (l.kind == DetLayerKind::kFactorOut) {
      auto fo = std::dynamic_pointer_cast<FactorOut>(mod);
      ASSERT_TRUE(fo);
      const DetFactorOut& d = *l.factor_out;
      Vec z2(static_cast<size_t>(d.z2_shape().size()));
      const double ld = d.forward(x.data(), y.data(), z2.data(), scratch);
      torch::Tensor x1t = xt.narrow(1, 0, fo->kept);
      auto [mu, log_sigma] = fo->prior_params(x1t);
      Vec dmu(z2.size()), dls(z2.size());
      d.prior_params(y.data(), dmu.data(), dls.data(), scratch);
      EXPECT_LT(vs_torch(dmu, to_vec(mu)), kTol);
      EXPECT_LT(vs_torch(dls, to_vec(log_sigma)), kTol);
      torch::Tensor x2t = xt.narrow(1, fo->kept, xt.size(1) - fo->kept);
      EXPECT_LT(vs_torch(z2, to_vec((x2t - mu) * torch::exp(-log_sigma))), kTol);
      EXPECT_LT(vs_torch(ld, -log_sigma.sum().item<double>()), kTol);
      Vec back(x.size());
      d.inverse(y.data(), z2.data(), back.data(), scratch);
      EXPECT_LT(rel_err(back, x), 1e-12);
      x = y;
      continue;
    }
    auto layer = std::dynamic_pointer_cast<FlowLayer>(mod);
    ASSERT_TRUE(layer);
    torch::Tensor ldt = torch::zeros({1}, torch::kFloat64);
    torch::Tensor yt = layer->forward(xt, &ldt, torch::Tensor());
    double ld = 0;
    Vec back(x.size());
    switch (l.kind) {
      case DetLayerKind::kActNorm:
        l.actnorm->forward(x.data(), y.data());
        ld = l.actnorm->log_det();
        l.actnorm->inverse(y.data(), back.data());
        break;
      case DetLayerKind::kInv1x1:
        l.inv1x1->forward(x.data(), y.data());
        ld = l.inv1x1->log_det();
        l.inv1x1->inverse(y.data(), back.data());
        break;
      case DetLayerKind::kSqueeze:
        det_squeeze(x.data(), l.in, y.data());
        det_unsqueeze(y.data(), l.in, back.data());
        break;
      case DetLayerKind::kCoupling: {
        const DetCoupling& c = *l.coupling;
        auto tc = std::dynamic_pointer_cast<Coupling>(mod);
        ASSERT_TRUE(tc);
        Vec log_deriv(x.size());
        ld = c.forward(x.data(), nullptr, y.data(), scratch, log_deriv.data());
        c.inverse(y.data(), nullptr, back.data(), scratch);
        torch::Tensor keep = tc->mask;
        if (c.kind == CouplingKind::kMixture) {
          MixtureParams p = tc->mixture_params(xt, torch::Tensor());
          DetMixtureParams dp = c.mixture_params(x.data(), nullptr, scratch);
          EXPECT_LT(vs_torch(dp.a, to_vec(p.a)), kTol);
          EXPECT_LT(vs_torch(dp.b, to_vec(p.b)), kTol);
          // torch [1,K,C,H,W] -> element-major [e][k]
          auto em = [&](const torch::Tensor& t) { return to_vec(t[0].reshape({c.k, -1}).t()); };
          EXPECT_LT(rel_err(dp.log_pi, em(p.log_pi)), kTol);
          EXPECT_LT(rel_err(dp.mu, em(p.mu)), kTol);
          EXPECT_LT(rel_err(dp.log_s, em(p.log_s)), kTol);
          torch::Tensor tld;
          mixture_forward(xt, p, &tld);
          EXPECT_LT(vs_torch(log_deriv, to_vec(tld * (1 - keep))), kTol);
        } else {
          auto [ls, shift] = tc->affine_params(xt, torch::Tensor());
          DetAffineParams dp = c.affine_params(x.data(), nullptr, scratch);
          EXPECT_LT(vs_torch(dp.log_scale, to_vec(ls)), kTol);
          EXPECT_LT(vs_torch(dp.shift, to_vec(shift)), kTol);
          EXPECT_LT(vs_torch(log_deriv, to_vec(ls * (1 - keep))), kTol);
        }
        // Pass-through elements are copied exactly.
        for (size_t i = 0; i < x.size(); ++i)
          if (c.mask[i]) {
            ASSERT_EQ(y[i], x[i]);
          }
        break;
      }
      case DetLayerKind::kFactorOut:
        break;
    }
    EXPECT_LT(vs_torch(y, to_vec(yt)), kTol);
    EXPECT_LT(vs_torch(ld, ldt.item<double>()), kTol);
    EXPECT_LT(rel_err(back, x), 1e-11) << "inverse(forward(x)) != x";
    x = y;
  }
}

// Dequantizer context and couplings, then the whole model, against torch.
void check_model_against_torch(FlowModel& model, const DetFlowModel& det, int images, uint64_t seed,
                               double tol = kTol, torch::Tensor given = torch::Tensor()) {
  // Round trips through many layers: tiny input differences can flip float32 roundings of
  // the conditioner outputs, so float32 networks round-trip less tightly.
  const double inv_tol = tol == kTol ? 1e-10 : 1e-6;
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const DetShape img = det.image_shape(), base = det.base_shape();
  torch::Tensor x = given.defined() ? given
                                    : torch::randint(0, 256, {images, img.c, img.h, img.w}, gen).to(torch::kUInt8);
  torch::Tensor xb = model->to_base(x).to(torch::kFloat64);
  torch::Tensor eps = torch::randn(xb.sizes(), gen, torch::kFloat64);
  torch::Tensor u, log_q;
  if (model->dequantizer) {
    std::tie(u, log_q) = model->dequantizer->transform(xb / 255.0 - 0.5, eps);
  } else {
    u = torch::rand(xb.sizes(), gen, torch::kFloat64);
    log_q = torch::zeros({images}, torch::kFloat64);
  }
  NllTerms t = model->nll_terms_given_u(xb, u, log_q);
  torch::Tensor ld = torch::zeros({images}, torch::kFloat64);
  torch::Tensor z = model->flow->forward(model->preprocess(xb + u, nullptr), &ld, torch::Tensor());
  DetScratch scratch;
  for (int i = 0; i < images; ++i) {
    SCOPED_TRACE("image " + std::to_string(i));
    // to_base agrees with torch's squeezes.
    Vec img_i = to_vec(x[i].to(torch::kFloat64)), xb_i(static_cast<size_t>(base.size()));
    det.to_base(img_i.data(), xb_i.data());
    EXPECT_EQ(xb_i, to_vec(xb[i]));
    Vec back(img_i.size());
    det.from_base(xb_i.data(), back.data());
    EXPECT_EQ(back, img_i);
    Vec eps_i = to_vec(model->dequantizer ? eps[i] : u[i]);
    Vec du(xb_i.size()), dz(xb_i.size());
    DetNllTerms dt = det.nll_terms(xb_i.data(), eps_i.data(), du.data(), dz.data(), scratch);
    EXPECT_LT(vs_torch(du, to_vec(u[i])), tol);
    EXPECT_LT(vs_torch(dz, to_vec(z[i])), tol);
    EXPECT_LT(vs_torch(dt.log_q, log_q[i].item<double>()), tol);
    EXPECT_LT(vs_torch(dt.logdet_pre, t.logdet_pre[i].item<double>()), tol);
    EXPECT_LT(vs_torch(dt.logdet_flow, t.logdet_flow[i].item<double>()), tol);
    EXPECT_LT(vs_torch(dt.log_pz, t.log_pz[i].item<double>()), tol);
    EXPECT_LT(vs_torch(dt.bpd(det.dims()), t.bpd(det.dims())[i].item<double>()), tol);
    // The flow's inverse.
    Vec y(xb_i.size()), y_back(xb_i.size());
    det.preprocess(to_vec(xb[i] + u[i]).data(), y.data());
    det.flow_inverse(dz.data(), y_back.data(), scratch);
    EXPECT_LT(rel_err(y_back, y), inv_tol);
    if (model->dequantizer) {
      // Context and every dequantizer coupling with its context.
      torch::Tensor xc = xb.narrow(0, i, 1) / 255.0 - 0.5;
      torch::Tensor ctx = model->dequantizer->context(xc);
      const DetDequantizer& dq = *det.dequantizer();
      const Vec dctx = dq.context(to_vec(xc).data(), scratch);
      EXPECT_LT(vs_torch(dctx, to_vec(ctx)), tol);
      Vec e = eps_i;
      torch::Tensor et = eps.narrow(0, i, 1);
      for (size_t j = 0; j < dq.couplings.size(); ++j) {
        auto tc = model->dequantizer->flow->layers[j];
        torch::Tensor ldt = torch::zeros({1}, torch::kFloat64);
        torch::Tensor yt = tc->forward(et, &ldt, ctx);
        Vec ye(e.size());
        const double dld = dq.couplings[j].forward(e.data(), dctx.data(), ye.data(), scratch);
        EXPECT_LT(vs_torch(ye, to_vec(yt)), tol) << "dequantizer coupling " << j;
        EXPECT_LT(vs_torch(dld, ldt.item<double>()), tol) << "dequantizer coupling " << j;
        Vec eb(e.size());
        dq.couplings[j].inverse(ye.data(), dctx.data(), eb.data(), scratch);
        EXPECT_LT(rel_err(eb, e), inv_tol);
        e = ye, et = yt;
      }
      Vec eps_back(eps_i.size());
      const double lq = dq.inverse(du.data(), dctx.data(), eps_back.data(), scratch);
      EXPECT_LT(rel_err(eps_back, eps_i), inv_tol * 10);
      EXPECT_LT(rel_err(lq, dt.log_q), inv_tol * 10);
    }
  }
}

TEST(DetFlow, LayersAndModelMatchTorchFloat64) {
  uint64_t seed = 100;
  for (const FlowConfig& cfg : test_configs()) {
    SCOPED_TRACE(to_text(cfg));
    FlowModel model(cfg);
    randomize(*model, 0.1, seed++);
    TensorArchive a = sync_archive(model);
    DetFlowModel det = DetFlowModel::from_archive(a, "test");
    std::mt19937_64 rng(seed++);
    std::normal_distribution<double> nd;
    Vec y(static_cast<size_t>(det.base_shape().size()));
    for (double& v : y) v = 2 * nd(rng);
    check_layers_against_torch(model, det, y);
    check_model_against_torch(model, det, 3, seed++);
  }
  report_worst("3 configs, every layer + whole model");
}

TEST(DetFlow, Float32NetworksAreCloseToFloat64) {
  FlowConfig cfg = parse_flow_config(kSmallConfig, "small");
  FlowModel model(cfg);
  randomize(*model, 0.1, 7);
  TensorArchive a = sync_archive(model);
  DetFlowModel det = DetFlowModel::from_archive(a, "test", DetPrecision::kFloat32);
  check_model_against_torch(model, det, 2, 8, /*tol=*/1e-5);
  report_worst("float32 networks");
}

TEST(DetFlow, DefaultConfigMatchesTorch) {
  FlowConfig cfg = load_flow_config(LBB_SOURCE_DIR "/configs/fmnist_flowpp.cfg");
  FlowModel model(cfg);
  randomize(*model, 0.05, 9);
  TensorArchive a = sync_archive(model);
  DetFlowModel det = DetFlowModel::from_archive(a, "default");
  EXPECT_EQ(det.base_shape(), (DetShape{4, 14, 14}));
  check_model_against_torch(model, det, 2, 10);
  report_worst("default config, 2 images");
}

// Trained model files, the shipped ones unless LBB_TEST_MODEL names another: Fashion-MNIST test
// images or photo tiles (tests/data/photo_val, never trained on), and 2 noise images; every
// layer and the whole model.
void check_trained_model_file(const std::string& path) {
  SCOPED_TRACE(path);
  LoadedModel loaded = load_model(path);
  FlowModel model = loaded.model;
  model->to(torch::kFloat64);
  model->eval();
  DetFlowModel det = DetFlowModel::load(path);
  const DetShape img = det.image_shape();
  torch::Tensor x;
  if (img.c == 1 && img.h == 28 && img.w == 28) {
    ImageSet set = load_images({"fmnist:test:4"});
    x = torch::from_blob(set.pixels.data(), {4, 1, 28, 28}, torch::kUInt8).clone();
  } else {
    ImageSet set = full_tiles(load_image_items({img.c == 3 ? "tests/data/photo_val/rgb" : "tests/data/photo_val/grey"}),
                              static_cast<uint32_t>(img.c), static_cast<uint32_t>(img.h), static_cast<uint32_t>(img.w));
    const int64_t n = std::min<int64_t>(set.n, 4);
    x = torch::from_blob(set.pixels.data(), {n, img.c, img.h, img.w}, torch::kUInt8).clone();
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  x = torch::cat({x, torch::randint(0, 256, {2, img.c, img.h, img.w}, gen).to(torch::kUInt8)});
  check_model_against_torch(model, det, static_cast<int>(x.size(0)), 22, kTol, x);
  torch::NoGradGuard no_grad;
  torch::Tensor y = model->preprocess(model->to_base(x.narrow(0, 0, 1)).to(torch::kFloat64) + 0.5, nullptr);
  check_layers_against_torch(model, det, to_vec(y));
  report_worst("trained model file, " + std::to_string(x.size(0)) + " images");
  DetFlowModel det32 = DetFlowModel::load(path, DetPrecision::kFloat32);
  check_model_against_torch(model, det32, static_cast<int>(x.size(0)), 22, 1e-4, x);
  report_worst("trained model file, float32 networks");
}

TEST(DetFlow, TrainedModelFilesMatchTorch) {
  const char* env = std::getenv("LBB_TEST_MODEL");
  if (env && *env) return check_trained_model_file(env);
  for (const char* shipped : {"models/fmnist.lbbm", "models/photo_rgb.lbbm", "models/photo_grey.lbbm"})  // tests run in the source dir
    check_trained_model_file(shipped);
}

// ---- the Newton inverse -------------------------------------------------------------------------

struct OwnedMixture {
  Vec log_pi, pi, mu, log_s, inv_s;
  MixtureElement e;
};

OwnedMixture random_mixture(std::mt19937_64& rng, int k, double mu_spread, double log_s_lo,
                            double log_s_hi, double a) {
  OwnedMixture m;
  std::normal_distribution<double> nd;
  std::uniform_real_distribution<double> ls(log_s_lo, log_s_hi);
  Vec logits(k);
  for (int i = 0; i < k; ++i) logits[i] = 2 * nd(rng);
  double mx = *std::max_element(logits.begin(), logits.end()), s = 0;
  for (double l : logits) s += det_exp(l - mx);
  for (int i = 0; i < k; ++i) {
    m.log_pi.push_back(logits[i] - mx - det_log(s));
    m.pi.push_back(det_exp(m.log_pi.back()));
    m.mu.push_back(mu_spread * nd(rng));
    m.log_s.push_back(ls(rng));
    m.inv_s.push_back(det_exp(-m.log_s.back()));
  }
  m.e.k = k;
  m.e.a = a;
  m.e.b = nd(rng);
  m.e.exp_a = det_exp(a);
  m.e.exp_neg_a = det_exp(-a);
  m.e.log_pi = m.log_pi.data();
  m.e.pi = m.pi.data();
  m.e.mu = m.mu.data();
  m.e.log_s = m.log_s.data();
  m.e.inv_s = m.inv_s.data();
  return m;
}

TEST(DetFlow, MixtureInverseRoundTripsIncludingTails) {
  std::mt19937_64 rng(11);
  double worst = 0;
  int max_iter = 0;
  long total_iter = 0, count = 0;
  const double xs[] = {-1e4, -300, -40, -7, -1, -1e-3, 0, 1e-7, 0.5, 3, 25, 150, 1e3, 1e5};
  for (int trial = 0; trial < 400; ++trial) {
    const int k = 1 + trial % 6;
    const double spread = trial % 3 == 0 ? 10.0 : 1.0;
    const double lo = trial % 4 == 0 ? -7.0 : -3.0, hi = trial % 4 == 1 ? 3.0 : 1.0;
    const double a = (trial % 5 - 2) * 1.5;  // scale·tanh(raw) stays within ±scale in practice
    OwnedMixture m = random_mixture(rng, k, spread, lo, hi, a);
    for (double x : xs) {
      double ld = 0;
      const double y = mixture_forward(x, m.e, &ld);
      ASSERT_TRUE(std::isfinite(y) && std::isfinite(ld)) << x;
      int it = 0;
      const double back = mixture_inverse(y, m.e, &it);
      // y itself carries rounding error ~ulp(y); propagated through 1/f'(x).
      const double cond = std::fabs(y) * 2.3e-16 / det_exp(ld);
      const double err = std::fabs(back - x) / (1 + std::fabs(x));
      EXPECT_LE(std::fabs(back - x), 1e-12 * (1 + std::fabs(x)) + 4 * cond)
          << "x=" << x << " k=" << k << " trial " << trial;
      worst = std::max(worst, std::min(err, std::fabs(back - x) / (1e-300 + cond)));
      max_iter = std::max(max_iter, it);
      total_iter += it, ++count;
      // Deterministic: same inputs, same bits.
      EXPECT_EQ(mixture_inverse(y, m.e), back);
    }
  }
  EXPECT_LE(max_iter, 100);
  std::printf("mixture_inverse: max %d, mean %.2f evaluations\n", max_iter,
              static_cast<double>(total_iter) / count);
}

// The lockstep array forms give the scalar functions' bits for every element, whatever the
// lane an element lands in, far tails and (k = 1) single components included.
TEST(DetFlow, MixtureArraysAreBitIdentical) {
  std::mt19937_64 rng(21);
  const double xs[] = {-1e4, -300, -40, -7, -1, -1e-3, 0, 1e-7, 0.5, 3, 25, 150, 1e3, 1e5};
  for (int k : {1, 2, 3, 4, 5, 8}) {
    // 401 elements (not a multiple of the lanes), each with its own parameters.
    const int64_t n = 401;
    Vec a(n), b(n), exp_a(n), exp_neg_a(n), log_pi, pi, mu, log_s, inv_s, x(n);
    for (int64_t e = 0; e < n; ++e) {
      const int trial = static_cast<int>(e);
      OwnedMixture m = random_mixture(rng, k, trial % 3 == 0 ? 10.0 : 1.0, trial % 4 == 0 ? -7.0 : -3.0,
                                      trial % 4 == 1 ? 3.0 : 1.0, (trial % 5 - 2) * 1.5);
      a[e] = m.e.a, b[e] = m.e.b, exp_a[e] = m.e.exp_a, exp_neg_a[e] = m.e.exp_neg_a;
      log_pi.insert(log_pi.end(), m.log_pi.begin(), m.log_pi.end());
      pi.insert(pi.end(), m.pi.begin(), m.pi.end());
      mu.insert(mu.end(), m.mu.begin(), m.mu.end());
      log_s.insert(log_s.end(), m.log_s.begin(), m.log_s.end());
      inv_s.insert(inv_s.end(), m.inv_s.begin(), m.inv_s.end());
      x[e] = xs[e % 14] * (1 + 0.01 * static_cast<double>(e % 7));
    }
    MixtureArrays p;
    p.k = k;
    p.a = a.data(), p.b = b.data(), p.exp_a = exp_a.data(), p.exp_neg_a = exp_neg_a.data();
    p.log_pi = log_pi.data(), p.pi = pi.data(), p.mu = mu.data(), p.log_s = log_s.data(), p.inv_s = inv_s.data();
    // Every element but every fifth, so that lanes see varying neighbours.
    std::vector<int64_t> idx;
    for (int64_t e = 0; e < n; ++e)
      if (e % 5 != 2) idx.push_back(e);
    // Full tolerance (container versions before 6) and the early Newton stop (version 6).
    for (double stop : {0.0, kMixtureInverseNewtonStop}) {
      Vec y(n, -1.0), ld(n, -1.0), back(n, -1.0);
      mixture_forward_array(p, idx.data(), static_cast<int64_t>(idx.size()), x.data(), y.data(), ld.data());
      mixture_inverse_array(p, idx.data(), static_cast<int64_t>(idx.size()), y.data(), back.data(), stop);
      for (int64_t e = 0; e < n; ++e) {
        if (e % 5 == 2) {  // not listed: untouched
          EXPECT_EQ(y[e], -1.0);
          EXPECT_EQ(back[e], -1.0);
          continue;
        }
        double ld1 = 0;
        const double y1 = mixture_forward(x[e], p.element(e), &ld1);
        const double back1 = mixture_inverse(y1, p.element(e), nullptr, stop);
        ASSERT_EQ(std::memcmp(&y[e], &y1, sizeof y1), 0) << "forward k=" << k << " e=" << e;
        ASSERT_EQ(std::memcmp(&ld[e], &ld1, sizeof ld1), 0) << "log-derivative k=" << k << " e=" << e;
        ASSERT_EQ(std::memcmp(&back[e], &back1, sizeof back1), 0)
            << "inverse k=" << k << " e=" << e << " stop " << stop;
      }
      // In place, as DetCoupling::inverse may be called.
      Vec z = y;
      mixture_inverse_array(p, idx.data(), static_cast<int64_t>(idx.size()), z.data(), z.data(), stop);
      for (int64_t e : idx) ASSERT_EQ(std::memcmp(&z[e], &back[e], sizeof z[e]), 0);
    }
  }
}

// The early Newton stop (container version 6) leaves an error of the order of the square of
// the last step: far below the coder's σ (≥ 2^-16 in practice), in fewer evaluations.
TEST(DetFlow, MixtureInverseNewtonStopIsCloseAndCheaper) {
  std::mt19937_64 rng(13);
  const double xs[] = {-1e4, -300, -40, -7, -1, -1e-3, 0, 1e-7, 0.5, 3, 25, 150, 1e3, 1e5};
  double worst = 0;
  long full_evals = 0, stop_evals = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int k = 1 + trial % 6;
    OwnedMixture m = random_mixture(rng, k, trial % 3 == 0 ? 10.0 : 1.0, trial % 4 == 0 ? -7.0 : -3.0,
                                    trial % 4 == 1 ? 3.0 : 1.0, (trial % 5 - 2) * 1.5);
    for (double x : xs) {
      double ld = 0;
      const double y = mixture_forward(x, m.e, &ld);
      int it_full = 0, it_stop = 0;
      const double full = mixture_inverse(y, m.e, &it_full);
      const double stopped = mixture_inverse(y, m.e, &it_stop, kMixtureInverseNewtonStop);
      EXPECT_LE(it_stop, it_full);
      // Backward error: f(stopped) is within f'·1e-8·(1 + |x|) of y (an x-error of 1e-8), or
      // within y's own rounding error where the CDF is nearly flat (between two sharp
      // components y does not determine x better than ulp(y)/f'(x), and neither inverse is
      // near x).
      double ld_back = 0;
      const double y_back = mixture_forward(stopped, m.e, &ld_back);
      EXPECT_LE(std::fabs(y_back - y), det_exp(ld_back) * 1e-8 * (1 + std::fabs(stopped)) + 4 * 2.3e-16 * std::fabs(y))
          << "x=" << x << " k=" << k << " trial " << trial;
      if (std::fabs(full - x) <= 1e-12 * (1 + std::fabs(x)))  // well conditioned
        worst = std::max(worst, std::fabs(stopped - full) / (1 + std::fabs(full)));
      full_evals += it_full, stop_evals += it_stop;
    }
  }
  EXPECT_LE(worst, 1e-8);  // forward error where the full inverse recovers x
  EXPECT_LT(stop_evals, full_evals * 4 / 5);
  std::printf("newton stop: worst relative difference where well conditioned %.2e, evaluations %ld vs %ld\n",
              worst, stop_evals, full_evals);
}

TEST(DetFlow, MixtureInverseAgreesWithTorchBisection) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(12);
  const int64_t k = 4, n = 64;
  MixtureParams p;
  p.a = torch::randn({1, 1, 1, n}, gen, torch::kFloat64);
  p.b = torch::randn({1, 1, 1, n}, gen, torch::kFloat64);
  p.log_pi = torch::log_softmax(torch::randn({1, k, 1, 1, n}, gen, torch::kFloat64), 1);
  p.mu = torch::randn({1, k, 1, 1, n}, gen, torch::kFloat64) * 3;
  p.log_s = (torch::randn({1, k, 1, 1, n}, gen, torch::kFloat64) - 1).clamp_min(-7.0);
  torch::Tensor y = torch::randn({1, 1, 1, n}, gen, torch::kFloat64) * 20;
  Vec expected = to_vec(mixture_inverse(y, p, 100));
  torch::Tensor xt = torch::from_blob(expected.data(), {1, 1, 1, n}, torch::kFloat64).clone();
  torch::Tensor tld;
  Vec fy = to_vec(mixture_forward(xt, p, &tld)), fld = to_vec(tld);
  Vec a = to_vec(p.a), b = to_vec(p.b), yv = to_vec(y);
  Vec lp = to_vec(p.log_pi.reshape({k, n}).t()), mu = to_vec(p.mu.reshape({k, n}).t());
  Vec ls = to_vec(p.log_s.reshape({k, n}).t());
  for (int64_t i = 0; i < n; ++i) {
    Vec inv_s(k), pi(k);
    for (int j = 0; j < k; ++j) inv_s[j] = det_exp(-ls[i * k + j]), pi[j] = det_exp(lp[i * k + j]);
    MixtureElement e;
    e.k = k, e.a = a[i], e.b = b[i], e.exp_a = det_exp(a[i]), e.exp_neg_a = det_exp(-a[i]);
    e.log_pi = &lp[i * k], e.pi = pi.data(), e.mu = &mu[i * k], e.log_s = &ls[i * k], e.inv_s = inv_s.data();
    EXPECT_NEAR(mixture_inverse(yv[i], e), expected[i], 1e-10 * (1 + std::fabs(expected[i])));
    double ld = 0;
    EXPECT_NEAR(mixture_forward(expected[i], e, &ld), fy[i], 1e-12 * (1 + std::fabs(fy[i])));
    EXPECT_NEAR(ld, fld[i], 1e-12 * (1 + std::fabs(fld[i])));
  }
}

// ---- determinism ----------------------------------------------------------------------------------

struct ImageResult {
  Vec u, z, params;
  DetNllTerms t;
};

bool same_bits(const ImageResult& a, const ImageResult& b) {
  auto eq = [](const Vec& x, const Vec& y) {
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0;
  };
  return eq(a.u, b.u) && eq(a.z, b.z) && eq(a.params, b.params) &&
         std::memcmp(&a.t, &b.t, sizeof(DetNllTerms)) == 0;
}

std::vector<Vec> make_images(const DetFlowModel& det, int n, uint64_t seed, std::vector<Vec>* eps) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd;
  std::vector<Vec> xs;
  for (int i = 0; i < n; ++i) {
    Vec x(static_cast<size_t>(det.base_shape().size())), e(x.size());
    for (double& v : x) v = static_cast<double>(rng() % 256);
    for (double& v : e) v = nd(rng);
    xs.push_back(x);
    eps->push_back(e);
  }
  return xs;
}

// Evaluates images `order` (indices into xs) with `threads` threads.
std::vector<ImageResult> evaluate(const DetFlowModel& det, const std::vector<Vec>& xs,
                                  const std::vector<Vec>& eps, const std::vector<int>& order, int threads) {
  std::vector<ImageResult> out(order.size());
  parallel_items(static_cast<int64_t>(order.size()), threads, [&](int64_t j, DetScratch& s) {
    const int i = order[static_cast<size_t>(j)];
    ImageResult& r = out[static_cast<size_t>(j)];
    r.u.resize(xs[i].size()), r.z.resize(xs[i].size());
    r.t = det.nll_terms(xs[i].data(), eps[i].data(), r.u.data(), r.z.data(), s);
    // The first coupling's conditioner outputs on the preprocessed x° + u, too.
    for (const DetLayer& l : det.layers())
      if (l.kind == DetLayerKind::kCoupling) {
        Vec v(xs[i].size()), y(xs[i].size());
        for (size_t q = 0; q < v.size(); ++q) v[q] = xs[i][q] + r.u[q];
        det.preprocess(v.data(), y.data());
        r.params = l.coupling->conditioner_out(y.data(), nullptr, s);
        break;
      }
  });
  return out;
}

TEST(DetFlow, BitIdenticalAcrossThreadsAndImageOrder) {
  for (DetPrecision prec : {DetPrecision::kFloat64, DetPrecision::kFloat32}) {
    FlowConfig cfg = parse_flow_config(kSmallConfig, "small");
    TensorArchive a = det_synthetic_model_archive(cfg, 3, 0.2);
    DetFlowModel det = DetFlowModel::from_archive(a, "synthetic", prec);
    std::vector<Vec> eps;
    const std::vector<Vec> xs = make_images(det, 7, 4, &eps);
    std::vector<int> all = {0, 1, 2, 3, 4, 5, 6};
    const std::vector<ImageResult> ref = evaluate(det, xs, eps, all, 1);
    for (int threads : {1, 2, 3}) {
      // Same set, another order with repeats (another "batch composition").
      std::vector<int> mixed = {6, 2, 2, 0, 5, 1, 3, 4, 0, 6};
      std::vector<ImageResult> r = evaluate(det, xs, eps, mixed, threads);
      for (size_t j = 0; j < mixed.size(); ++j)
        EXPECT_TRUE(same_bits(r[j], ref[static_cast<size_t>(mixed[j])]))
            << "threads " << threads << " image " << mixed[j];
      // Each image alone.
      for (int i : all) {
        std::vector<ImageResult> one = evaluate(det, xs, eps, {i}, threads);
        EXPECT_TRUE(same_bits(one[0], ref[static_cast<size_t>(i)])) << "alone " << i;
      }
    }
    // A freshly loaded copy of the model gives the same bits.
    DetFlowModel det2 = DetFlowModel::from_archive(a, "again", prec);
    std::vector<ImageResult> r2 = evaluate(det2, xs, eps, all, 2);
    for (size_t i = 0; i < all.size(); ++i) EXPECT_TRUE(same_bits(r2[i], ref[i]));
  }
}

// ---- golden hash (cross-platform drift) -----------------------------------------------------------

uint64_t fnv1a(uint64_t h, const void* data, size_t n) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
  return h;
}

// Everything below is torch-free: synthetic weights from splitmix64, fixed images and noise,
// the whole model plus both Newton-inverse paths.  A change of any output bit changes the hash.
uint64_t golden_hash(DetPrecision prec) {
  FlowConfig cfg = parse_flow_config(kSmallConfig, "golden");
  TensorArchive a = det_synthetic_model_archive(cfg, 20240601, 0.2);
  DetFlowModel det = DetFlowModel::from_archive(a, "golden", prec);
  DetScratch s;
  const int64_t d = det.base_shape().size();
  uint64_t h = 0xCBF29CE484222325ull;
  for (int img = 0; img < 2; ++img) {
    Vec x(static_cast<size_t>(d)), eps(x.size()), u(x.size()), z(x.size()), y(x.size()), yb(x.size());
    for (int64_t i = 0; i < d; ++i) {
      x[i] = static_cast<double>((i * 37 + img * 101) % 256);
      eps[i] = static_cast<double>((i * 13 + img * 7) % 17 - 8) / 4.0;
    }
    DetNllTerms t = det.nll_terms(x.data(), eps.data(), u.data(), z.data(), s);
    h = fnv1a(h, u.data(), u.size() * sizeof(double));
    h = fnv1a(h, z.data(), z.size() * sizeof(double));
    h = fnv1a(h, &t, sizeof t);
    det.flow_inverse(z.data(), yb.data(), s);
    h = fnv1a(h, yb.data(), yb.size() * sizeof(double));
  }
  return h;
}

TEST(DetFlow, GoldenHash) {
  const uint64_t h64 = golden_hash(DetPrecision::kFloat64), h32 = golden_hash(DetPrecision::kFloat32);
  std::printf("golden hashes: float64 0x%016llx, float32 0x%016llx\n",
              static_cast<unsigned long long>(h64), static_cast<unsigned long long>(h32));
  // Format version 1's values (0x2480f268853bfe83, 0x3118982f432ddb42) were the same from
  // GCC 12 (-O0, -O3, AVX2 and SSE2 kernels, -march=native with -ffp-contract=off) and
  // clang 14 on x86-64. Version 2 changed the Newton step of mixture_inverse (slope without a
  // log/exp round trip); compress_golden_baseline_test checks the SSE2 build against the AVX2
  // one. A change here means the coded bits of every existing .lbb file change: bump the
  // format version, do not just update the constants.
  EXPECT_EQ(h64, 0xe46d32021140fd33ull);
  EXPECT_EQ(h32, 0xb1258a1a77186764ull);
}

}  // namespace
}  // namespace lbb
