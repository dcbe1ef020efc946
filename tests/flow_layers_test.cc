// Every flow layer: inverse(forward(x)) == x in float64 to 1e-9, and the log-determinant
// it reports equals log|det J| of the Jacobian computed by autograd, one row at a time.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

#include "flow/flow_model.h"
#include "flow/layers.h"

namespace lbb {
namespace {

using Fn = std::function<Tensor(const Tensor&)>;

// Brute-force log|det ∂f/∂x| for one sample x of shape [1, ...].
double brute_force_logdet(const Fn& f, const Tensor& x) {
  Tensor xin = x.detach().clone().requires_grad_(true);
  Tensor y = f(xin).flatten();
  const int64_t d = y.numel();
  EXPECT_EQ(d, xin.numel()) << "layer must preserve dimension";
  Tensor jac = torch::zeros({d, d}, torch::kFloat64);
  for (int64_t i = 0; i < d; ++i) {
    Tensor g = torch::autograd::grad({y[i]}, {xin}, {}, /*retain_graph=*/true,
                                     /*create_graph=*/false, /*allow_unused=*/true)[0];
    if (g.defined()) jac[i] = g.flatten();
  }
  return std::get<1>(at::linalg_slogdet(jac)).item<double>();
}

// Gives every parameter a small random value (zero-initialized output convs would make
// couplings trivial) and switches the module to float64.
void randomize(torch::nn::Module& m, double scale, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  m.to(torch::kFloat64);
  for (auto& p : m.parameters()) p.add_(torch::randn(p.sizes(), gen, torch::kFloat64) * scale);
}

void check_layer(FlowLayer& layer, const Tensor& x, const Tensor& ctx = Tensor()) {
  layer.eval();
  Tensor logdet = torch::zeros({x.size(0)}, torch::kFloat64);
  Tensor y = layer.forward(x, &logdet, ctx);
  Tensor back = layer.inverse(y, ctx);
  EXPECT_LT((back - x).abs().max().item<double>(), 1e-9) << "inverse(forward(x)) != x";
  for (int64_t n = 0; n < x.size(0); ++n) {
    Tensor xn = x.narrow(0, n, 1);
    Tensor cn = ctx.defined() ? ctx.narrow(0, n, 1) : ctx;
    double expected = brute_force_logdet([&](const Tensor& v) { return layer.forward(v, nullptr, cn); }, xn);
    EXPECT_NEAR(logdet[n].item<double>(), expected, 1e-8 * std::max(1.0, std::abs(expected)))
        << "sample " << n;
  }
}

Tensor random_input(std::vector<int64_t> shape, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randn(shape, gen, torch::kFloat64);
}

TEST(FlowLayers, Squeeze) {
  Squeeze s;
  check_layer(s, random_input({2, 2, 4, 6}, 1));
  Tensor x = torch::arange(16, torch::kFloat64).view({1, 1, 4, 4});
  Tensor y = squeeze2x2(x);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, 4, 2, 2}));
  EXPECT_EQ(y[0][1][0][0].item<double>(), 1.0);  // top-left block, right neighbour
  EXPECT_EQ(y[0][2][0][0].item<double>(), 4.0);  // top-left block, lower neighbour
}

TEST(FlowLayers, ActNormPerActivationAndPerChannel) {
  for (ActNormKind kind : {ActNormKind::kPerActivation, ActNormKind::kPerChannel}) {
    ActNorm a(3, 4, 4, kind);
    randomize(a, 0.3, 2);
    check_layer(a, random_input({2, 3, 4, 4}, 3));
  }
}

TEST(FlowLayers, ActNormDataDependentInit) {
  ActNorm a(2, 3, 3, ActNormKind::kPerChannel);
  a.to(torch::kFloat64);
  a.train();
  Tensor x = random_input({64, 2, 3, 3}, 4) * 5 + 2;
  Tensor y = a.forward(x, nullptr, Tensor());
  EXPECT_LT(y.mean({0, 2, 3}).abs().max().item<double>(), 1e-9);
  EXPECT_NEAR(y.transpose(0, 1).reshape({2, -1}).pow(2).mean(1).max().item<double>(), 1.0, 1e-6);
  EXPECT_EQ(a.initialized.item<double>(), 1.0);
}

TEST(FlowLayers, Invertible1x1) {
  Invertible1x1 w(4, 5);
  randomize(w, 0.2, 6);
  check_layer(w, random_input({2, 4, 3, 3}, 7));
}

struct CouplingCase {
  MaskKind mask;
  CouplingKind kind;
  bool attention;
  int64_t ctx;
};

class CouplingTest : public ::testing::TestWithParam<CouplingCase> {};

TEST_P(CouplingTest, InverseAndLogdet) {
  const CouplingCase c = GetParam();
  for (int parity = 0; parity < 2; ++parity) {
    Coupling layer(4, 4, 4, c.mask, parity, c.kind, /*components=*/3, c.ctx, /*filters=*/8,
                   /*blocks=*/1, c.attention, /*heads=*/2, /*dropout=*/0.0);
    randomize(layer, 0.1, 8 + parity);
    Tensor ctx = c.ctx ? random_input({2, c.ctx, 4, 4}, 9) : Tensor();
    check_layer(layer, random_input({2, 4, 4, 4}, 10 + parity), ctx);
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, CouplingTest,
    ::testing::Values(CouplingCase{MaskKind::kChecker, CouplingKind::kAffine, false, 0},
                      CouplingCase{MaskKind::kChannel, CouplingKind::kAffine, true, 0},
                      CouplingCase{MaskKind::kChecker, CouplingKind::kMixture, true, 0},
                      CouplingCase{MaskKind::kChannel, CouplingKind::kMixture, false, 0},
                      CouplingCase{MaskKind::kChecker, CouplingKind::kMixture, false, 3}));

TEST(FlowLayers, CouplingPassesConditioningHalfThrough) {
  Coupling layer(2, 4, 4, MaskKind::kChecker, 0, CouplingKind::kMixture, 2, 0, 8, 1, false, 1, 0);
  randomize(layer, 0.1, 11);
  Tensor x = random_input({1, 2, 4, 4}, 12);
  Tensor y = layer.forward(x, nullptr, Tensor());
  EXPECT_TRUE(torch::equal(y * layer.mask, x * layer.mask));
  EXPECT_GT(((y - x) * (1 - layer.mask)).abs().max().item<double>(), 1e-3);
}

TEST(FlowLayers, MixtureInverseSolvesExtremeTargets) {
  // Targets far in the tails: the bracket must still contain the root.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(13);
  MixtureParams p;
  const int64_t k = 4;
  p.a = torch::full({1, 1, 1, 5}, 0.5, torch::kFloat64);
  p.b = torch::zeros({1, 1, 1, 5}, torch::kFloat64);
  p.log_pi = torch::log_softmax(torch::randn({1, k, 1, 1, 5}, gen, torch::kFloat64), 1);
  p.mu = torch::randn({1, k, 1, 1, 5}, gen, torch::kFloat64);
  p.log_s = torch::randn({1, k, 1, 1, 5}, gen, torch::kFloat64) - 1;
  Tensor x = torch::tensor({-30.0, -3.0, 0.1, 4.0, 25.0}, torch::kFloat64).view({1, 1, 1, 5});
  Tensor y = mixture_forward(x, p, nullptr);
  Tensor back = mixture_inverse(y, p, 100);
  EXPECT_LT((back - x).abs().max().item<double>(), 1e-9);
}

TEST(FlowLayers, FactorOutWithInnerFlow) {
  auto inner = std::make_shared<FlowSequence>(2, 4, 4);
  inner->add(std::make_shared<Squeeze>(), {8, 2, 2});
  inner->add(std::make_shared<Coupling>(8, 2, 2, MaskKind::kChannel, 0, CouplingKind::kMixture, 2, 0, 8, 1,
                                        true, 2, 0.0),
             {8, 2, 2});
  FactorOut f(4, 4, 4, inner);
  randomize(f, 0.1, 14);
  check_layer(f, random_input({2, 4, 4, 4}, 15));
}

TEST(FlowLayers, WholeModelMainFlowAndDequantizer) {
  FlowConfig cfg = parse_flow_config(
      "image = 1x4x4\nbase_squeezes = 1\ndequant_couplings = 2\ndequant_filters = 8\n"
      "filters = 8\ncomponents = 2\nheads = 2\nflow = checker channel split squeeze channel\n",
      "test");
  FlowModel model(cfg);
  randomize(*model, 0.1, 16);
  model->eval();
  Tensor y = random_input({2, 4, 2, 2}, 17);
  check_layer(*model->flow, y);

  // log q(u|x) from sampling equals log q recomputed from u (dequantizer inverse).
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(18);
  Tensor xc = torch::rand({2, 4, 2, 2}, gen, torch::kFloat64) - 0.5;
  auto [u, log_q] = model->dequantizer->sample(xc, gen);
  EXPECT_GT(u.min().item<double>(), 0.0);
  EXPECT_LT(u.max().item<double>(), 1.0);
  Tensor again = model->dequantizer->log_prob(xc, u);
  EXPECT_LT((again - log_q).abs().max().item<double>(), 1e-7);
}

TEST(FlowLayers, PreprocessLogdetAndInverse) {
  FlowConfig cfg = parse_flow_config("image = 1x2x2\nbase_squeezes = 0\ndequant = uniform\nflow = checker\n", "t");
  FlowModel model(cfg);
  model->to(torch::kFloat64);
  Tensor x = torch::tensor({0.3, 17.5, 128.0, 255.9}, torch::kFloat64).view({1, 1, 2, 2});
  Tensor logdet;
  Tensor y = model->preprocess(x, &logdet);
  EXPECT_LT((model->postprocess(y) - x).abs().max().item<double>(), 1e-9);
  double expected = brute_force_logdet([&](const Tensor& v) { return model->preprocess(v, nullptr); }, x);
  EXPECT_NEAR(logdet[0].item<double>(), expected, 1e-9);
}

}  // namespace
}  // namespace lbb
