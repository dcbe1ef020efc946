// Demonstrations (subsampling, file round trip), behavioral cloning recovering a known
// policy, the discriminator separating two known distributions, and GAIL imitating a known
// CartPole controller.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "imitation/behavioral_cloning.h"
#include "imitation/demonstrations.h"
#include "imitation/discriminator.h"
#include "imitation/gail.h"
#include "imitation/rollout.h"
#include "imitation/torch_setup.h"
#include "imitation/vec_env.h"
#include "imitation_test_util.h"

namespace lbb::imitation {
namespace {

using test::rule_demos;

TEST(DemonstrationsTest, SubsamplingFromRandomOffsetsAndFileRoundTrip) {
  use_one_thread();
  Rng rng(2);
  std::shared_ptr<Policy> pi = make_policy(make_env("cartpole")->spec(), rng);  // a random policy: short episodes
  const Demonstrations d = sample_demonstrations(*pi, "cartpole", 6, 4, 17);
  ASSERT_EQ(d.trajectories(), 6);
  EXPECT_EQ(default_subsample_rate("cartpole"), 10);
  EXPECT_EQ(default_subsample_rate("acrobot"), 5);
  EXPECT_EQ(default_subsample_rate("mountaincar"), 5);
  int64_t row = 0;
  std::set<int64_t> offsets;
  for (int64_t k = 0; k < 6; ++k) {
    const int64_t len = d.lengths[k].item<int64_t>();
    EXPECT_EQ(d.returns[k].item<double>(), static_cast<double>(len));  // CartPole: reward 1 per step
    const int64_t offset = d.step[row].item<int64_t>();
    EXPECT_LT(offset, 4);
    offsets.insert(offset);
    // Every 4th step from the offset, to the end of the episode.
    for (int64_t t = offset; t < len; t += 4, ++row) {
      ASSERT_EQ(d.traj[row].item<int64_t>(), k);
      ASSERT_EQ(d.step[row].item<int64_t>(), t);
    }
  }
  EXPECT_EQ(row, d.pairs());
  EXPECT_GT(offsets.size(), 1u);  // the offsets are random, not all the same

  const std::string path =
      (std::filesystem::temp_directory_path() / ("imitation_demos_" + std::to_string(getpid()) + ".pt")).string();
  save_demonstrations(path, d);
  const Demonstrations e = load_demonstrations(path);
  std::filesystem::remove(path);
  EXPECT_EQ(e.env, "cartpole");
  EXPECT_EQ(e.rate, 4);
  EXPECT_TRUE(torch::equal(e.obs, d.obs));
  EXPECT_TRUE(torch::equal(e.actions, d.actions));
  EXPECT_TRUE(torch::equal(e.step, d.step));
  const Demonstrations two = d.first(2);
  EXPECT_EQ(two.trajectories(), 2);
  EXPECT_EQ(two.traj.max().item<int64_t>(), 1);
}

TEST(BehavioralCloningTest, RecoversAKnownPolicy) {
  use_one_thread();
  const Demonstrations d = rule_demos(10, 1, 100);  // 2000 pairs
  BcOptions opt;
  opt.seed = 3;
  const BcResult r = behavioral_cloning(d, opt);
  EXPECT_EQ(r.train_pairs, 1400);
  EXPECT_EQ(r.validation_pairs, 600);
  EXPECT_LT(r.best_validation_loss, 0.2);
  // On fresh states of the rule's own episodes, the clone's most likely action is the rule's.
  const Demonstrations fresh = rule_demos(5, 1, 900);
  torch::Tensor a;
  {
    Rng unused(0);
    a = r.policy->act(fresh.obs, unused, /*deterministic=*/true);
  }
  const double agree = (a == fresh.actions).to(torch::kFloat64).mean().item<double>();
  EXPECT_GT(agree, 0.95);
  // And it balances the pole as the rule does.
  const std::vector<double> ret = evaluate_policy(*r.policy, "cartpole", 20, 5, true);
  double mean = 0;
  for (double x : ret) mean += x / 20;
  EXPECT_GT(mean, 190);
}

TEST(DiscriminatorTest, SeparatesTwoKnownDistributionsAndSignsItsRewards) {
  use_one_thread();
  torch::manual_seed(0);
  // Expert states ~ N(+1, 0.5^2), policy states ~ N(-1, 0.5^2) in every dimension (Bayes
  // error ~ 2e-5 in 4 dimensions); the same actions, so only the state tells them apart.
  const torch::Tensor e_obs = 1 + 0.5 * torch::randn({512, 4}, torch::kFloat64);
  const torch::Tensor p_obs = -1 + 0.5 * torch::randn({512, 4}, torch::kFloat64);
  const torch::Tensor acts = torch::randint(0, 2, {512}, torch::kInt64);
  Rng rng(1);
  Discriminator disc(4, 2, 0, e_obs, {100, 100}, rng, 0.01);
  double first = 0, last = 0;
  for (int i = 0; i < 100; ++i) {
    last = disc.step(p_obs, acts, e_obs, acts);
    if (i == 0) first = last;
  }
  EXPECT_NEAR(first, 2 * std::log(2.0), 0.5);  // starts near chance
  EXPECT_LT(last, 0.05);
  torch::NoGradGuard no_grad;
  const torch::Tensor e_test = 1 + 0.5 * torch::randn({1000, 4}, torch::kFloat64);
  const torch::Tensor p_test = -1 + 0.5 * torch::randn({1000, 4}, torch::kFloat64);
  const torch::Tensor a_test = torch::randint(0, 2, {1000}, torch::kInt64);
  const torch::Tensor de = torch::sigmoid(disc.logits(e_test, a_test)), dp = torch::sigmoid(disc.logits(p_test, a_test));
  const double accuracy = ((de > 0.5).to(torch::kFloat64).mean() + (dp < 0.5).to(torch::kFloat64).mean()).item<double>() / 2;
  EXPECT_GT(accuracy, 0.98);
  // Rewards: survival -log(1 - D) > 0, goal log D < 0; both larger for expert-like pairs.
  const torch::Tensor rs_e = disc.reward(e_test, a_test, GailReward::kSurvival);
  const torch::Tensor rs_p = disc.reward(p_test, a_test, GailReward::kSurvival);
  const torch::Tensor rg_e = disc.reward(e_test, a_test, GailReward::kGoal);
  const torch::Tensor rg_p = disc.reward(p_test, a_test, GailReward::kGoal);
  EXPECT_GT(rs_p.min().item<double>(), 0.0);
  EXPECT_LT(rg_e.max().item<double>(), 0.0);
  EXPECT_GT(rs_e.mean().item<double>(), rs_p.mean().item<double>() + 1);
  EXPECT_GT(rg_e.mean().item<double>(), rg_p.mean().item<double>() + 1);
  EXPECT_LT((rs_e - (-torch::log1p(-de))).abs().max().item<double>(), 1e-9);
  EXPECT_EQ(default_gail_reward("cartpole"), GailReward::kSurvival);
  EXPECT_EQ(default_gail_reward("acrobot"), GailReward::kGoal);
  EXPECT_EQ(default_gail_reward("mountaincar"), GailReward::kGoal);
}

TEST(GailTest, ImitatesAKnownCartPoleController) {
  use_one_thread();
  const Demonstrations d = rule_demos(1, 10, 300);  // one trajectory, 20 pairs, as the thesis' smallest dataset
  GailOptions opt;
  opt.rl.env = "cartpole";
  opt.rl.seed = 2;
  GailTrainer gail(d, opt);
  int reached = -1;
  for (int i = 1; i <= 25 && reached < 0; ++i)
    if (gail.iterate().rl.mean_return >= 195) reached = i;
  std::printf("GAIL (1 trajectory of the rule): batch return >= 195 at iteration %d\n", reached);
  ASSERT_GT(reached, 0);
  const std::vector<double> ret = evaluate_policy(gail.policy(), "cartpole", 20, 8, true);
  double mean = 0;
  for (double x : ret) mean += x / 20;
  EXPECT_GE(mean, 195);
}

TEST(GailTest, SameSeedSameRunBitForBit) {
  use_one_thread();
  const Demonstrations d = rule_demos(2, 10, 40);
  GailOptions opt;
  opt.rl.env = "cartpole";
  opt.rl.seed = 6;
  opt.rl.num_envs = 8;
  opt.rl.steps_per_env = 125;
  GailTrainer a(d, opt), b(d, opt);
  for (int i = 0; i < 3; ++i) {
    const GailIterationStats sa = a.iterate(), sb = b.iterate();
    EXPECT_EQ(sa.discriminator_loss, sb.discriminator_loss);
    EXPECT_EQ(sa.mean_reward, sb.mean_reward);
    EXPECT_EQ(sa.rl.step.surrogate_after, sb.rl.step.surrogate_after);
  }
  const auto pa = a.policy().parameters(), pb = b.policy().parameters();
  for (size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(torch::equal(pa[k], pb[k])) << k;
}

}  // namespace
}  // namespace lbb::imitation
