// Continuous control end to end: the Gaussian policy's log-likelihood, KL and the KL's
// Hessian-vector product (TRPO's Fisher product) against finite differences; whole-episode
// sampling; a TRPO run saved and restored mid-way continues bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <sstream>

#include "imitation/policy.h"
#include "imitation/policy_file.h"
#include "imitation/rollout.h"
#include "imitation/trpo.h"
#include "imitation/trpo_trainer.h"
#include "imitation/mlp.h"

namespace lbb::imitation {
namespace {

torch::Tensor get_flat(Policy& pi) { return flat_params(pi.parameters()).detach(); }

void set_flat(Policy& pi, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  set_flat_params(pi.parameters(), x);
}

torch::Tensor grad_of(Policy& pi, const std::function<torch::Tensor()>& f) {
  for (auto& p : pi.parameters()) p.mutable_grad() = torch::Tensor();
  f().backward();
  std::vector<torch::Tensor> gs;
  for (const auto& p : pi.parameters()) gs.push_back(p.grad().reshape(-1));
  return torch::cat(gs);
}

struct Fixture {
  Rng rng{11};
  GaussianPolicy pi{4, 2, {8}, rng, -0.3};
  torch::Tensor obs = torch::randn({6, 4}, torch::TensorOptions().dtype(torch::kFloat64));
  torch::Tensor actions = torch::randn({6, 2}, torch::TensorOptions().dtype(torch::kFloat64));
};

TEST(GaussianPolicyGradients, LogLikelihoodMatchesFiniteDifferences) {
  torch::manual_seed(1);
  Fixture f;
  const auto logp = [&] { return f.pi.log_prob(f.pi.params(f.obs), f.actions).sum(); };
  const torch::Tensor g = grad_of(f.pi, logp);
  const torch::Tensor x0 = get_flat(f.pi);
  const double h = 1e-6;
  for (int64_t i = 0; i < x0.numel(); i += 7) {
    torch::Tensor e = torch::zeros_like(x0);
    e[i] = h;
    set_flat(f.pi, x0 + e);
    const double up = logp().item<double>();
    set_flat(f.pi, x0 - e);
    const double down = logp().item<double>();
    set_flat(f.pi, x0);
    EXPECT_NEAR(g[i].item<double>(), (up - down) / (2 * h), 1e-6) << i;
  }
  // The log-likelihood by hand for one row: -1/2 sum z^2 - sum log std - d/2 log 2 pi.
  const torch::Tensor p = f.pi.params(f.obs).detach();
  const torch::Tensor mean = p.slice(1, 0, 2), log_std = p.slice(1, 2);
  const torch::Tensor z = (f.actions - mean) / log_std.exp();
  const double by_hand = (-0.5 * z.pow(2).sum(1) - log_std.sum(1) - std::log(2 * M_PI)).sum().item<double>();
  EXPECT_NEAR(logp().item<double>(), by_hand, 1e-12);
}

TEST(GaussianPolicyGradients, KlAndItsHessianVectorProductMatchFiniteDifferences) {
  torch::manual_seed(2);
  Fixture f;
  const torch::Tensor old_params = f.pi.params(f.obs).detach();
  const auto kl = [&] { return f.pi.kl(old_params, f.pi.params(f.obs)).mean(); };
  EXPECT_NEAR(kl().item<double>(), 0.0, 1e-15);  // KL(pi || pi) = 0
  const torch::Tensor x0 = get_flat(f.pi);
  const torch::Tensor v = torch::randn_like(x0);
  FisherProduct F(f.pi, f.obs, old_params, /*damping=*/0.0);
  const torch::Tensor Hv = F(v);
  // H v ~ (grad KL(x0 + h v) - grad KL(x0 - h v)) / 2h.
  const double h = 1e-5;
  set_flat(f.pi, x0 + h * v);
  const torch::Tensor g_up = grad_of(f.pi, kl);
  set_flat(f.pi, x0 - h * v);
  const torch::Tensor g_down = grad_of(f.pi, kl);
  set_flat(f.pi, x0);
  const torch::Tensor fd = (g_up - g_down) / (2 * h);
  EXPECT_LT((Hv - fd).abs().max().item<double>(), 1e-6 * (1 + fd.abs().max().item<double>()));
  // v^T H v = second derivative of KL along v, also by finite differences of KL itself.
  set_flat(f.pi, x0 + 1e-3 * v);
  const double kl_up = kl().item<double>();
  set_flat(f.pi, x0 - 1e-3 * v);
  const double kl_down = kl().item<double>();
  set_flat(f.pi, x0);
  EXPECT_NEAR(v.dot(Hv).item<double>(), (kl_up + kl_down) / 1e-6, 1e-4 * std::abs(v.dot(Hv).item<double>()));
  // Damping adds lambda v.
  FisherProduct Fd(f.pi, f.obs, old_params, 0.1);
  EXPECT_LT((Fd(v) - Hv - 0.1 * v).abs().max().item<double>(), 1e-12);
}

TEST(EpisodeSamplerTest, WholeEpisodesOfAtLeastTheBudget) {
  Rng rng(3);
  auto pi = make_policy(make_env("hopper")->spec(), rng);
  EpisodeSampler sampler("hopper", 4, 5);
  const Rollout r = sampler.sample(*pi, 300);
  EXPECT_EQ(r.N, 1);
  EXPECT_GE(r.T, 300);
  ASSERT_EQ(r.obs.size(0), r.T);
  EXPECT_EQ(r.actions.size(1), 3);
  int64_t total = 0;
  for (int64_t len : r.episode_lengths) total += len;
  EXPECT_EQ(total, r.T);
  // Every episode closes with exactly one flag, on its last step only.
  int64_t at = 0;
  for (size_t e = 0; e < r.episode_lengths.size(); ++e) {
    for (int64_t t = 0; t < r.episode_lengths[e]; ++t) {
      const bool last = t == r.episode_lengths[e] - 1;
      EXPECT_EQ(r.terminated[at] || r.truncated[at], last);
      EXPECT_FALSE(r.terminated[at] && r.truncated[at]);
      ++at;
    }
  }
  // Episodes of one length (Reacher's 50 steps): 4 environments and a budget of 200 steps give
  // exactly 4 episodes, one each, as their last round reaches the budget together.
  auto reacher_pi = make_policy(make_env("reacher")->spec(), rng);
  EpisodeSampler reacher("reacher", 4, 6);
  const Rollout rr = reacher.sample(*reacher_pi, 200);
  EXPECT_EQ(rr.T, 200);
  EXPECT_EQ(rr.episode_lengths.size(), 4u);
  EXPECT_EQ(reacher.sample(*reacher_pi, 201).T, 400);  // 200 < 201: every environment goes on
  // Restoring the generators replays the same episodes.
  EpisodeSampler a("hopper", 4, 5), b("hopper", 4, 99);
  a.sample(*pi, 200);
  b.set_state(a.state());
  const Rollout ra = a.sample(*pi, 200), rb = b.sample(*pi, 200);
  EXPECT_TRUE(torch::equal(ra.obs, rb.obs));
  EXPECT_TRUE(torch::equal(ra.actions, rb.actions));
  EXPECT_THROW(b.set_state("garbage"), std::exception);
}

TEST(TrpoCheckpointTest, RestoredRunContinuesBitForBit) {
  TrpoTrainerOptions opt;
  opt.env = "reacher";
  opt.seed = 4;
  opt.num_envs = 4;
  opt.episode_batch_steps = 400;
  opt.hidden = {16};
  opt.trpo.fisher_stride = opt.value_fit.stride = 5;
  TrpoTrainer straight(opt);
  for (int i = 0; i < 3; ++i) straight.iterate();

  std::stringstream saved;
  {
    TrpoTrainer first(opt);
    first.iterate();
    torch::serialize::OutputArchive ar;
    first.save_state(ar);
    ar.save_to(saved);
  }
  TrpoTrainer resumed(opt);
  torch::serialize::InputArchive in;
  in.load_from(saved);
  resumed.load_state(in);
  EXPECT_EQ(resumed.iteration(), 1);
  for (int i = 0; i < 2; ++i) resumed.iterate();
  EXPECT_EQ(policy_hash(resumed.policy()), policy_hash(straight.policy()));
  EXPECT_TRUE(torch::equal(get_flat(resumed.policy()), get_flat(straight.policy())));
}

}  // namespace
}  // namespace lbb::imitation
