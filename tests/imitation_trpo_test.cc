// The pieces of the TRPO step: GAE by hand, conjugate gradient on an SPD system, the Fisher
// (KL Hessian) vector product against finite differences of the KL gradient, and one step
// on a real CartPole batch: KL within 1.5 max_kl, the surrogate improved, rejection.
#include <gtest/gtest.h>

#include "imitation/gae.h"
#include "imitation/rollout.h"
#include "imitation/torch_setup.h"
#include "imitation/trpo.h"

namespace lbb::imitation {
namespace {

TEST(GaeTest, HandComputedExample) {
  // N = 2 environments, T = 3 steps, gamma = 0.5, lambda = 0.5 (gamma * lambda = 0.25).
  // Row t * 2 + i. Env 0 runs on through the segment (bootstrapped at its end); env 1's
  // episode terminates at t = 1 (next value 0, no carry) and a new one starts at t = 2.
  const std::vector<double> rewards{1, 1, 1, 1, 1, 2};
  const std::vector<double> values{0.5, 0.5, 0.4, 0.4, 0.3, 0.1};
  const std::vector<double> next_values{0.4, 0.4, 0.3, 0.0, 0.2, 0.6};
  const std::vector<uint8_t> ends{0, 0, 0, 1, 0, 0};
  // env 0: delta = 1 + 0.5*0.4 - 0.5 = 0.7, 1 + 0.5*0.3 - 0.4 = 0.75, 1 + 0.5*0.2 - 0.3 = 0.8
  //        A_2 = 0.8, A_1 = 0.75 + 0.25 * 0.8 = 0.95, A_0 = 0.7 + 0.25 * 0.95 = 0.9375
  // env 1: delta = 1 + 0.2 - 0.5 = 0.7, 1 + 0 - 0.4 = 0.6, 2 + 0.3 - 0.1 = 2.2
  //        A_2 = 2.2, A_1 = 0.6 (episode ended: no carry), A_0 = 0.7 + 0.25 * 0.6 = 0.85
  const std::vector<double> adv = gae_advantages(rewards, values, next_values, ends, 3, 2, {0.5, 0.5});
  const std::vector<double> expect{0.9375, 0.85, 0.95, 0.6, 0.8, 2.2};
  ASSERT_EQ(adv.size(), expect.size());
  for (size_t k = 0; k < adv.size(); ++k) EXPECT_NEAR(adv[k], expect[k], 1e-15) << k;
}

TEST(GaeTest, LambdaOneIsDiscountedReturnMinusValue) {
  // With lambda = 1 the advantage telescopes: A_0 = r_0 + g r_1 + g^2 r_2 + g^3 V_boot - V_0.
  const double g = 0.995;
  const std::vector<double> r{1, 2, 3}, v{0.7, -0.2, 1.5}, nv{-0.2, 1.5, 4.0};
  const std::vector<double> adv = gae_advantages(r, v, nv, {0, 0, 0}, 3, 1, {g, 1.0});
  EXPECT_NEAR(adv[0], 1 + g * 2 + g * g * 3 + g * g * g * 4.0 - 0.7, 1e-12);
}

TEST(ConjugateGradientTest, SolvesSpdSystem) {
  torch::manual_seed(0);
  const torch::Tensor B = torch::randn({8, 8}, torch::kFloat64);
  const torch::Tensor A = B.t().mm(B) + 0.5 * torch::eye(8, torch::kFloat64);  // SPD
  const torch::Tensor x_true = torch::randn({8}, torch::kFloat64);
  const torch::Tensor b = A.mv(x_true);
  int calls = 0;
  auto Ax = [&](const torch::Tensor& v) {
    ++calls;
    return A.mv(v);
  };
  // In exact arithmetic CG ends in n = 8 steps; 10 leaves room for rounding.
  const torch::Tensor x = conjugate_gradient(Ax, b, 10);
  EXPECT_LT((x - x_true).abs().max().item<double>(), 1e-8);
  EXPECT_LE(calls, 10);
  // Fewer iterations than the dimension: not yet solved, but the residual shrank.
  const torch::Tensor x3 = conjugate_gradient(Ax, b, 3);
  EXPECT_LT((A.mv(x3) - b).norm().item<double>(), b.norm().item<double>());
  EXPECT_GT((x3 - x_true).abs().max().item<double>(), 1e-6);
}

class TrpoBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    use_one_thread();
    Rng rng(11);
    policy_ = make_policy(make_env("cartpole")->spec(), rng);
    // A few random steps of the policy so that it is not uniform (a non-trivial Fisher).
    {
      torch::NoGradGuard no_grad;
      for (auto& p : policy_->parameters()) p.add_(0.3 * torch::randn_like(p));
    }
    Sampler sampler("cartpole", 10, 4);
    Rollout r = sampler.sample(*policy_, 50);
    policy_->normalizer.update(r.obs);
    z_ = policy_->normalizer.normalize(r.obs);
    actions_ = r.actions;
    // Advantages: discounted reward-to-go minus its mean (a real learning signal).
    std::vector<double> zeros(r.rewards.size(), 0.0);
    std::vector<uint8_t> e(r.rewards.size());
    for (size_t k = 0; k < e.size(); ++k) e[k] = r.terminated[k] || r.truncated[k];
    const std::vector<double> adv = gae_advantages(r.rewards, zeros, zeros, e, r.T, r.N, {0.995, 0.97});
    const torch::Tensor a = torch::tensor(adv, torch::kFloat64);
    adv_ = (a - a.mean()) / a.std();
  }
  std::shared_ptr<Policy> policy_;
  torch::Tensor z_, actions_, adv_;
};

TEST_F(TrpoBatchTest, FisherProductMatchesFiniteDifferencesOfKlGradient) {
  const std::vector<torch::Tensor> params = policy_->parameters();
  const torch::Tensor theta = flat_params(params);
  torch::Tensor old;
  {
    torch::NoGradGuard no_grad;
    old = policy_->params(z_);
  }
  FisherProduct F(*policy_, z_, old, /*damping=*/0.0);
  torch::manual_seed(1);
  const torch::Tensor v = torch::randn({theta.numel()}, torch::kFloat64);
  const torch::Tensor Fv = F(v);
  auto grad_kl_at = [&](const torch::Tensor& th) {
    set_flat_params(params, th);
    const torch::Tensor kl = policy_->kl(old, policy_->params(z_)).mean();
    return flat_grad(kl, params);
  };
  // Central differences: (grad KL(theta + e v) - grad KL(theta - e v)) / 2e = H v + O(e^2).
  const double eps = 1e-5;
  const torch::Tensor fd = (grad_kl_at(theta + eps * v) - grad_kl_at(theta - eps * v)) / (2 * eps);
  set_flat_params(params, theta);
  const double rel = ((Fv - fd).norm() / fd.norm()).item<double>();
  EXPECT_LT(rel, 1e-6) << "|Fv| = " << Fv.norm().item<double>();
  EXPECT_GT(Fv.norm().item<double>(), 1e-6);
  // The Fisher matrix is positive semi-definite: v^T F v >= 0.
  EXPECT_GE(v.dot(Fv).item<double>(), 0.0);
  // Damping adds damping * v.
  FisherProduct Fd(*policy_, z_, old, 0.1);
  EXPECT_LT((Fd(v) - Fv - 0.1 * v).abs().max().item<double>(), 1e-12);
}

TEST_F(TrpoBatchTest, StepKeepsKlBoundAndImprovesSurrogate) {
  const std::vector<torch::Tensor> params = policy_->parameters();
  torch::Tensor old_params, old_logp;
  {
    torch::NoGradGuard no_grad;
    old_params = policy_->params(z_);
    old_logp = policy_->log_prob(old_params, actions_);
  }
  const torch::Tensor theta_old = flat_params(params);
  TrpoOptions opt;  // max_kl 0.01, 10 CG iterations, damping 0.1
  const TrpoStepStats st = trpo_step(*policy_, z_, actions_, adv_, opt);
  ASSERT_TRUE(st.accepted);
  EXPECT_GT(st.expected_improvement, 0.0);
  // Recomputed here, independently of the step's own bookkeeping.
  torch::NoGradGuard no_grad;
  const torch::Tensor p = policy_->params(z_);
  const double kl = policy_->kl(old_params, p).mean().item<double>();
  const double surr_old = adv_.mean().item<double>();  // ratio 1 at theta_old
  const double surr_new = (torch::exp(policy_->log_prob(p, actions_) - old_logp) * adv_).mean().item<double>();
  EXPECT_LE(kl, 1.5 * opt.max_kl);
  EXPECT_GT(kl, 0.0);
  EXPECT_GT(surr_new, surr_old);
  EXPECT_NEAR(kl, st.kl, 1e-12);
  EXPECT_NEAR(surr_new, st.surrogate_after, 1e-12);
  EXPECT_NEAR(surr_old, st.surrogate_before, 1e-12);
  EXPECT_GT((flat_params(params) - theta_old).abs().max().item<double>(), 0.0);
}

TEST_F(TrpoBatchTest, LineSearchBacktracksAndRejects) {
  const std::vector<torch::Tensor> params = policy_->parameters();
  const torch::Tensor theta_old = flat_params(params);
  TrpoOptions tight;
  tight.kl_accept_factor = 0.2;  // the full step's KL is ~max_kl: only a shorter step passes
  const TrpoStepStats st = trpo_step(*policy_, z_, actions_, adv_, tight);
  ASSERT_TRUE(st.accepted);
  EXPECT_GE(st.backtracks, 1);
  EXPECT_LE(st.kl, 0.2 * tight.max_kl);

  set_flat_params(params, theta_old);
  TrpoOptions impossible;
  impossible.kl_accept_factor = 1e-30;  // no step of 10 halvings has a KL this small
  const TrpoStepStats rej = trpo_step(*policy_, z_, actions_, adv_, impossible);
  EXPECT_FALSE(rej.accepted);
  EXPECT_TRUE(torch::equal(flat_params(params), theta_old));  // rejected: theta unchanged, bit for bit
}

}  // namespace
}  // namespace lbb::imitation
