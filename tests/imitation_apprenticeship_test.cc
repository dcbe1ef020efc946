// FEM and GTAL (thesis section 2.4, apprenticeship.h): the features, the cost fits of
// eq. (2.19) / (2.21) (the l2-ball maximizer, multiplicative weights over the simplex),
// the fitted cost charging the policy more than the expert, learning on a tiny CartPole
// problem better than a random policy, and the same seed giving the same run bit for bit.
#include <gtest/gtest.h>

#include <cmath>

#include "imitation/apprenticeship.h"
#include "imitation/rollout.h"
#include "imitation/torch_setup.h"
#include "imitation_test_util.h"

namespace lbb::imitation {
namespace {

using test::rule_demos;

ApprenticeshipOptions small(CostClass cost, uint64_t seed) {
  ApprenticeshipOptions opt;
  opt.rl.env = "cartpole";
  opt.rl.seed = seed;
  opt.rl.num_envs = 10;
  opt.rl.steps_per_env = 200;  // 2000 steps per iteration
  opt.cost = cost;
  opt.iterations = 10;
  return opt;
}

double mean(const std::vector<double>& xs) {
  double m = 0;
  for (double x : xs) m += x / static_cast<double>(xs.size());
  return m;
}

TEST(CostFeaturesTest, ActionBlocksOfStandardizedStatesAndAConstant) {
  use_one_thread();
  const Demonstrations d = rule_demos(2, 10, 7);
  const EnvSpec spec = make_env("cartpole")->spec();
  const CostFeatures f(spec, d, false, 0.01), g(spec, d, true, 0.01);
  EXPECT_EQ(f.dim(), 2 * 2 * 4 + 1);
  EXPECT_EQ(g.dim(), 2 * f.dim());
  const torch::Tensor obs = torch::tensor({0.1, -0.2, 0.03, 0.4, -1.0, 0.5, 0.2, -0.3}, torch::kFloat64).view({2, 4});
  const torch::Tensor act = torch::tensor({1, 0}, torch::kInt64);
  const torch::Tensor F = f(obs, act), G = g(obs, act);
  const torch::Tensor mean = d.obs.mean(0), sd = (d.obs.var(0, /*unbiased=*/false) + 1e-8).sqrt();
  const torch::Tensor z = (obs - mean) / sd;
  // Row 0 took action 1: block 0 is zero, block 1 is [z, (0.01 z)^2]; row 1 the other way round.
  EXPECT_TRUE(torch::equal(F.index({0, torch::indexing::Slice(0, 8)}), torch::zeros({8}, torch::kFloat64)));
  EXPECT_TRUE(torch::allclose(F.index({0, torch::indexing::Slice(8, 12)}), z[0], 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(F.index({0, torch::indexing::Slice(12, 16)}), (0.01 * z[0]).square(), 1e-12, 1e-15));
  EXPECT_TRUE(torch::allclose(F.index({1, torch::indexing::Slice(0, 4)}), z[1], 1e-12, 1e-12));
  EXPECT_TRUE(torch::equal(F.index({1, torch::indexing::Slice(8, 16)}), torch::zeros({8}, torch::kFloat64)));
  EXPECT_EQ(F[0][16].item<double>(), 1.0);
  EXPECT_TRUE(torch::equal(G.index({torch::indexing::Slice(), torch::indexing::Slice(0, 17)}), F));
  EXPECT_TRUE(torch::equal(G.index({torch::indexing::Slice(), torch::indexing::Slice(17, 34)}), -F));
}

TEST(ApprenticeshipTest, CostFitsOfTheTwoClasses) {
  use_one_thread();
  const Demonstrations d = rule_demos(2, 10, 7);
  // FEM: w = (mu_pi - mu_E) / ||.||, the maximizer over the l2 ball; objective = ||mu_pi - mu_E||.
  ApprenticeshipTrainer fem(d, small(CostClass::kLinear, 1));
  const torch::Tensor mu_e = fem.expert_features();
  torch::Tensor delta = torch::zeros_like(mu_e);
  delta[0] = 3.0;
  delta[5] = -4.0;
  EXPECT_NEAR(fem.fit_cost(mu_e + delta), 5.0, 1e-12);
  EXPECT_NEAR(fem.weights()[0].item<double>(), 0.6, 1e-7);
  EXPECT_NEAR(fem.weights()[5].item<double>(), -0.8, 1e-7);
  EXPECT_NEAR(fem.weights().norm().item<double>(), 1.0, 1e-8);

  // GTAL: w stays on the simplex; W_i multiplied by exp(eta * clip(delta_i)); repeated, the
  // weight concentrates on the most violated feature (the simplex's best response).
  ApprenticeshipTrainer gtal(d, small(CostClass::kConvex, 1));
  const int64_t D = gtal.weights().numel();
  EXPECT_EQ(D, 34);
  EXPECT_NEAR(gtal.eta(), std::log(1 + std::sqrt(2 * std::log(34.0) / 10)), 1e-12);
  torch::Tensor dg = torch::zeros({D}, torch::kFloat64);
  dg[3] = 0.5;
  dg[20] = 2.0;  // clipped to 1
  const double obj = gtal.fit_cost(gtal.expert_features() + dg);
  EXPECT_NEAR(obj, 2.0, 1e-12);
  const torch::Tensor w = gtal.weights();
  EXPECT_NEAR(w.sum().item<double>(), 1.0, 1e-12);
  EXPECT_GE(w.min().item<double>(), 0.0);
  const double e = gtal.eta();
  EXPECT_NEAR(w[3].item<double>() / w[0].item<double>(), std::exp(0.5 * e), 1e-9);
  EXPECT_NEAR(w[20].item<double>() / w[0].item<double>(), std::exp(1.0 * e), 1e-9);
  for (int i = 0; i < 200; ++i) gtal.fit_cost(gtal.expert_features() + dg);
  EXPECT_GT(gtal.weights()[20].item<double>(), 0.99);
}

TEST(ApprenticeshipTest, FittedCostChargesThePolicyMoreThanTheExpert) {
  // Eq. (2.21): after the fit on a policy's samples, E_pi[c] - E_E[c] is the objective
  // (> 0): the reward -c favours expert-like pairs, whatever the class.
  use_one_thread();
  const Demonstrations d = rule_demos(2, 10, 300);
  Rng rng(4);
  std::shared_ptr<Policy> pi = make_policy(make_env("cartpole")->spec(), rng);
  Sampler sampler("cartpole", 10, 5);
  const Rollout r = sampler.sample(*pi, 100);
  for (CostClass cost : {CostClass::kLinear, CostClass::kConvex}) {
    ApprenticeshipTrainer al(d, small(cost, 3));
    const double objective = al.fit_cost(al.features()(r.obs, r.actions).mean(0));
    EXPECT_GT(objective, 0.0);
    const double gap = al.cost(r.obs, r.actions).mean().item<double>() - al.cost(d.obs, d.actions).mean().item<double>();
    EXPECT_GT(gap, 0.0);
    if (cost == CostClass::kLinear) {
      EXPECT_NEAR(gap * static_cast<double>(al.features().dim()), objective, 1e-6);
    }
  }
}

TEST(ApprenticeshipTest, FemAndGtalLearnBetterThanRandom) {
  use_one_thread();
  const Demonstrations d = rule_demos(2, 10, 300);  // 2 trajectories, 40 pairs
  Rng rng(9);
  std::shared_ptr<Policy> random_policy = make_policy(make_env("cartpole")->spec(), rng);
  const double random_return = mean(evaluate_policy(*random_policy, "cartpole", 20, 8, false));
  for (CostClass cost : {CostClass::kLinear, CostClass::kConvex}) {
    ApprenticeshipTrainer al(d, small(cost, 3));
    for (int i = 1; i <= 10; ++i) {
      const ApprenticeshipIterationStats st = al.iterate();
      EXPECT_GT(st.objective, 0.0);
      EXPECT_GE(st.mean_reward, 0.0);  // survival sign for CartPole: rewards shifted to >= 0
    }
    const double ret = mean(evaluate_policy(al.policy(), "cartpole", 20, 8, true));
    std::printf("%s: deterministic return %.1f (random policy %.1f)\n", cost == CostClass::kLinear ? "FEM" : "GTAL",
                ret, random_return);
    EXPECT_GT(ret, random_return + 100);  // it balances far longer than chance
  }
}

TEST(ApprenticeshipTest, SameSeedSameRunBitForBit) {
  use_one_thread();
  const Demonstrations d = rule_demos(1, 10, 40);
  for (CostClass cost : {CostClass::kLinear, CostClass::kConvex}) {
    ApprenticeshipOptions opt = small(cost, 6);
    opt.rl.num_envs = 8;
    opt.rl.steps_per_env = 125;
    ApprenticeshipTrainer a(d, opt), b(d, opt);
    for (int i = 0; i < 3; ++i) {
      const ApprenticeshipIterationStats sa = a.iterate(), sb = b.iterate();
      EXPECT_EQ(sa.objective, sb.objective);
      EXPECT_EQ(sa.mean_reward, sb.mean_reward);
      EXPECT_EQ(sa.rl.step.surrogate_after, sb.rl.step.surrogate_after);
    }
    EXPECT_TRUE(torch::equal(a.weights(), b.weights()));
    const auto pa = a.policy().parameters(), pb = b.policy().parameters();
    for (size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(torch::equal(pa[k], pb[k])) << k;
    // A different seed is a different run.
    ApprenticeshipOptions other = opt;
    other.rl.seed = 7;
    ApprenticeshipTrainer c(d, other);
    for (int i = 0; i < 3; ++i) c.iterate();
    EXPECT_FALSE(torch::equal(c.policy().parameters()[0], pa[0]));
  }
}

}  // namespace
}  // namespace lbb::imitation
