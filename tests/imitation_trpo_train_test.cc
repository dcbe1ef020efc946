// TRPO training runs: the same seed gives the same run bit for bit, another seed another
// run; and TRPO on CartPole reaches an average return of 195 (Gym's "solved" threshold for
// CartPole-v0) within a bounded number of iterations (~1 s each on this machine).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "imitation/rollout.h"
#include "imitation/torch_setup.h"
#include "imitation/trpo_trainer.h"

namespace lbb::imitation {
namespace {

TrpoTrainerOptions small_run(uint64_t seed) {
  TrpoTrainerOptions opt;
  opt.env = "cartpole";
  opt.seed = seed;
  opt.num_envs = 8;
  opt.steps_per_env = 125;  // 1000 steps per iteration: a quick but complete iteration
  return opt;
}

// Bit-for-bit equality of two doubles (NaN == NaN when the bits agree).
uint64_t bits(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

void expect_same_run(TrpoTrainer& a, TrpoTrainer& b, int iterations) {
  for (int i = 0; i < iterations; ++i) {
    const IterationStats sa = a.iterate(), sb = b.iterate();
    EXPECT_EQ(bits(sa.mean_return), bits(sb.mean_return));
    EXPECT_EQ(sa.episodes, sb.episodes);
    EXPECT_EQ(bits(sa.step.kl), bits(sb.step.kl));
    EXPECT_EQ(bits(sa.step.surrogate_after), bits(sb.step.surrogate_after));
    EXPECT_EQ(bits(sa.value_mse), bits(sb.value_mse));
  }
  const auto pa = a.policy().parameters(), pb = b.policy().parameters();
  for (size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(torch::equal(pa[k], pb[k])) << k;
  const auto va = a.value().net()->parameters(), vb = b.value().net()->parameters();
  for (size_t k = 0; k < va.size(); ++k) EXPECT_TRUE(torch::equal(va[k], vb[k])) << k;
  EXPECT_TRUE(torch::equal(a.policy().normalizer.mean(), b.policy().normalizer.mean()));
}

TEST(TrpoTrainTest, SameSeedSameRunBitForBit) {
  use_one_thread();
  TrpoTrainer a(small_run(3)), b(small_run(3));
  expect_same_run(a, b, 3);
  // Another seed: another initialization and other episodes.
  TrpoTrainer c(small_run(4));
  c.iterate();
  EXPECT_FALSE(torch::equal(c.policy().parameters()[0], a.policy().parameters()[0]));
}

TEST(TrpoTrainTest, AcrobotRunIsRepeatableToo) {
  use_one_thread();
  TrpoTrainerOptions opt = small_run(8);
  opt.env = "acrobot";
  TrpoTrainer a(opt), b(opt);
  expect_same_run(a, b, 2);
}

TEST(TrpoTrainTest, CartPoleReaches195) {
  use_one_thread();
  TrpoTrainerOptions opt;  // the defaults: 25 environments x 200 steps, max KL 0.01, GAE 0.995 / 0.97
  opt.env = "cartpole";
  opt.seed = 1;
  const int kMaxIterations = 30;
  const auto start = std::chrono::steady_clock::now();
  int reached = -1;
  double first_return = NAN;
  TrpoTrainer t(opt);
  for (int i = 1; i <= kMaxIterations && reached < 0; ++i) {
    const IterationStats st = t.iterate();
    if (i == 1) first_return = st.mean_return;
    EXPECT_LE(st.step.kl, 1.5 * opt.trpo.max_kl);
    if (st.mean_return >= 195) reached = i;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("CartPole: batch mean return >= 195 at iteration %d (%.1f s); first iteration %.1f\n", reached, seconds,
              first_return);
  ASSERT_GT(reached, 0) << "no iteration of " << kMaxIterations << " reached 195";
  EXPECT_LT(first_return, 50);  // a random policy balances ~20 steps: the learning is real
  // The learned (stochastic) policy on fresh episodes.
  const std::vector<double> r = evaluate_policy(t.policy(), "cartpole", 50, 99, false);
  double mean = 0;
  for (double x : r) mean += x / static_cast<double>(r.size());
  EXPECT_GE(mean, 195);
}

}  // namespace
}  // namespace lbb::imitation
