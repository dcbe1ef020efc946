// The classic-control environments against hand-computed steps, against independently
// written dynamics (Acrobot), and the interface contracts of imitation/env.h.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <stdexcept>

#include "imitation/acrobot.h"
#include "imitation/cartpole.h"
#include "imitation/mountain_car.h"
#include "imitation/vec_env.h"

namespace lbb::imitation {
namespace {

Action discrete(int64_t a) {
  Action x;
  x.index = a;
  return x;
}

TEST(CartPoleTest, StepFromRestPushingRight) {
  CartPole env(200);
  env.reset(0);
  env.set_state({0, 0, 0, 0});
  // F = +10, theta = 0 (cos 1, sin 0), M = 1.1, m_p l = 0.05, l = 0.5:
  //   temp     = 10 / 1.1 = 100/11
  //   theta_dd = (0 - 100/11) / (0.5 (4/3 - 0.1/1.1)) = -(100/11) / (41/66) = -600/41
  //   x_dd     = 100/11 - 0.05 (-600/41) / 1.1 = 100/11 + 300/451 = 400/41
  // Euler with tau = 0.02: x = 0, x_dot = 8/41, theta = 0, theta_dot = -12/41.
  const StepResult r = env.step(discrete(1));
  ASSERT_EQ(r.obs.size(), 4u);
  EXPECT_DOUBLE_EQ(r.obs[0], 0.0);
  EXPECT_NEAR(r.obs[1], 8.0 / 41.0, 1e-15);
  EXPECT_DOUBLE_EQ(r.obs[2], 0.0);
  EXPECT_NEAR(r.obs[3], -12.0 / 41.0, 1e-15);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_FALSE(r.truncated);
}

TEST(CartPoleTest, StepFromMovingStatePushingLeft) {
  CartPole env(200);
  env.reset(0);
  env.set_state({0.1, -0.2, 0.05, 0.3});
  // F = -10, cos 0.05 = 0.99875026, sin 0.05 = 0.04997917:
  //   temp     = (-10 + 0.05 * 0.3^2 * 0.04997917) / 1.1 = (-10 + 0.00022491) / 1.1 = -9.09070463
  //   theta_dd = (9.8 * 0.04997917 + 0.99875026 * 9.09070463) / (0.5 (4/3 - 0.1 * 0.99750119 / 1.1))
  //            = (0.48979586 + 9.07934362) / 0.62132566 = 15.40116568
  //   x_dd     = -9.09070463 - 0.05 * 15.40116568 * 0.99875026 / 1.1 = -9.09070463 - 0.69917810 = -9.78988273
  //   x = 0.1 + 0.02 (-0.2) = 0.096;  x_dot = -0.2 + 0.02 (-9.78988273) = -0.39579765
  //   theta = 0.05 + 0.02 * 0.3 = 0.056;  theta_dot = 0.3 + 0.02 * 15.40116568 = 0.60802331
  const StepResult r = env.step(discrete(0));
  EXPECT_NEAR(r.obs[0], 0.096, 1e-15);
  EXPECT_NEAR(r.obs[1], -0.39579765, 1e-8);
  EXPECT_NEAR(r.obs[2], 0.056, 1e-15);
  EXPECT_NEAR(r.obs[3], 0.60802331, 1e-8);
  // The same numbers as Gym's Python computes them (printed with repr), to the last bit.
  EXPECT_EQ(r.obs[1], -0.3957976546439626);
  EXPECT_EQ(r.obs[3], 0.6080233136061515);
}

TEST(CartPoleTest, TerminatesPastTwelveDegreesAndRewardsTheLastStep) {
  CartPole env(200);
  env.reset(0);
  // theta_dot 1 rad/s carries theta from 0.2 past 12 deg = 0.20944 rad in one 0.02 s step.
  env.set_state({0, 0, 0.2, 1.0});
  const StepResult r = env.step(discrete(1));
  EXPECT_GT(r.obs[2], CartPole::kThetaThreshold);
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_THROW(env.step(discrete(0)), std::logic_error);
  env.reset();
  env.set_state({2.39, 1.0, 0, 0});  // x = 2.39 + 0.02 > 2.4
  EXPECT_TRUE(env.step(discrete(1)).terminated);
}

TEST(CartPoleTest, TimeLimitTruncatesAtTwoHundredSteps) {
  CartPole v0(200);
  v0.reset(3);
  StepResult r;
  for (int t = 0; t < 200; ++t) {
    v0.set_state({0, 0, 0, 0});  // keep it balanced: only the limit can end the episode
    r = v0.step(discrete(t % 2));
    if (t < 199) {
      ASSERT_FALSE(r.done()) << t;
    }
  }
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(make_env("cartpole-v1")->spec().max_episode_steps, 500);
}

TEST(CartPoleTest, ResetIsUniformInRangeAndSeeded) {
  CartPole a(200), b(200);
  const std::vector<double> oa = a.reset(42), ob = b.reset(42);
  EXPECT_EQ(oa, ob);
  for (double v : oa) EXPECT_LT(std::abs(v), CartPole::kResetRange);
  EXPECT_NE(a.reset(43), oa);
  // reset() continues the generator: the second episode differs from the first.
  a.reset(42);
  EXPECT_NE(a.reset(), oa);
}

TEST(MountainCarTest, StepsByHand) {
  MountainCar env;
  env.reset(0);
  env.set_state({-0.5, 0.0});
  // v = 0 + (2 - 1) 0.001 + cos(-1.5) (-0.0025) = 0.001 - 0.0025 * 0.0707372 = 0.00082316
  // x = -0.5 + 0.00082316 = -0.49917684
  StepResult r = env.step(discrete(2));
  EXPECT_NEAR(r.obs[1], 0.00082316, 1e-8);
  EXPECT_NEAR(r.obs[0], -0.49917684, 1e-8);
  EXPECT_EQ(r.obs[1], 0.0008231569958307428);  // Gym's value, bit for bit
  EXPECT_EQ(r.reward, -1.0);
  EXPECT_FALSE(r.terminated);

  // Left wall: v = -0.01 - 0.001 + cos(-3.6) (-0.0025) = -0.011 + 0.0022419 = -0.0087581,
  // x = -1.2 - 0.0087581 clips to -1.2, and the wall stops the car (v = 0).
  env.set_state({-1.2, -0.01});
  r = env.step(discrete(0));
  EXPECT_EQ(r.obs[0], -1.2);
  EXPECT_EQ(r.obs[1], 0.0);

  // Speed limit: v = 0.07 + 0.001 + cos(1.35) (-0.0025) = 0.07 + 0.001 - 0.00054917 = 0.07045
  // clips to 0.07; x = 0.45 + 0.07 = 0.52 >= 0.5 reaches the goal.
  env.set_state({0.45, 0.07});
  r = env.step(discrete(2));
  EXPECT_EQ(r.obs[1], 0.07);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, -1.0);
}

TEST(MountainCarTest, ResetRange) {
  MountainCar env;
  for (uint64_t s = 0; s < 20; ++s) {
    const std::vector<double> o = env.reset(s);
    EXPECT_GE(o[0], -0.6);
    EXPECT_LT(o[0], -0.4);
    EXPECT_EQ(o[1], 0.0);
  }
  EXPECT_EQ(env.spec().max_episode_steps, 200);
}

TEST(AcrobotTest, DerivativesAtRestWithPositiveTorque) {
  // theta = 0, dtheta = 0, a = +1 (cos 0 = 1; cos(-pi/2) ~ 6e-17, so phi1, phi2 ~ 1e-15):
  //   d1 = 1 * 0.25 + 1 * (1 + 0.25 + 2 * 0.5) + 1 + 1 = 4.5
  //   d2 = 1 * (0.25 + 0.5) + 1 = 1.75
  //   ddtheta2 = (1 + 0 - 0 - 0) / (0.25 + 1 - 1.75^2 / 4.5) = 1 / 0.5694444 = 1.7560976 (= 72/41)
  //   ddtheta1 = -(1.75 * 1.7560976 + 0) / 4.5 = -0.6829268 (= -28/41)
  const std::array<double, 4> d = Acrobot::derivatives({0, 0, 0, 0}, 1.0);
  EXPECT_EQ(d[0], 0.0);
  EXPECT_EQ(d[1], 0.0);
  EXPECT_NEAR(d[2], -28.0 / 41.0, 1e-14);
  EXPECT_NEAR(d[3], 72.0 / 41.0, 1e-14);
}

// Independently written acrobot dynamics: the Lagrangian form M(q) q_dd = tau - h(q, q_d),
//   [ d1  d2 ] [th1_dd]   [ -phi1                                 ]
//   [ d2  d3 ] [th2_dd] = [ a - m2 l1 lc2 th1_d^2 sin th2 - phi2  ],  d3 = m2 lc2^2 + I2,
// with cos(x - pi/2) written as sin x, solved by Cramer's rule, and a generic RK4.
std::array<double, 4> reference_derivatives(const std::array<double, 4>& s, double a) {
  const double m2 = 1, l1 = 1, lc1 = 0.5, lc2 = 0.5, I = 1, g = 9.8, m1 = 1;
  const double c2 = std::cos(s[1]), s2 = std::sin(s[1]);
  const double d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * c2) + 2 * I;
  const double d2 = m2 * (lc2 * lc2 + l1 * lc2 * c2) + I;
  const double d3 = m2 * lc2 * lc2 + I;
  const double phi2 = m2 * lc2 * g * std::sin(s[0] + s[1]);
  const double phi1 = -m2 * l1 * lc2 * s[3] * s[3] * s2 - 2 * m2 * l1 * lc2 * s[3] * s[2] * s2 +
                      (m1 * lc1 + m2 * l1) * g * std::sin(s[0]) + phi2;
  const double b1 = -phi1, b2 = a - m2 * l1 * lc2 * s[2] * s[2] * s2 - phi2;
  const double det = d1 * d3 - d2 * d2;
  return {s[2], s[3], (b1 * d3 - d2 * b2) / det, (d1 * b2 - d2 * b1) / det};
}

TEST(AcrobotTest, StepMatchesIndependentDynamics) {
  Acrobot env;
  env.reset(0);
  Rng rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::array<double, 4> s{rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-4, 4), rng.uniform(-6, 6)};
    const int64_t a = static_cast<int64_t>(rng.below(3));
    const double torque = static_cast<double>(a) - 1;
    // RK4 over 0.2 s in four stages.
    auto add = [](const std::array<double, 4>& y, double h, const std::array<double, 4>& k) {
      return std::array<double, 4>{y[0] + h * k[0], y[1] + h * k[1], y[2] + h * k[2], y[3] + h * k[3]};
    };
    const auto k1 = reference_derivatives(s, torque);
    const auto k2 = reference_derivatives(add(s, 0.1, k1), torque);
    const auto k3 = reference_derivatives(add(s, 0.1, k2), torque);
    const auto k4 = reference_derivatives(add(s, 0.2, k3), torque);
    std::array<double, 4> ref;
    for (int i = 0; i < 4; ++i) ref[i] = s[i] + 0.2 / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    for (int i = 0; i < 2; ++i) ref[i] = std::remainder(ref[i], 2 * M_PI);  // into [-pi, pi]
    ref[2] = std::clamp(ref[2], -4 * M_PI, 4 * M_PI);
    ref[3] = std::clamp(ref[3], -9 * M_PI, 9 * M_PI);

    env.reset();
    env.set_state(s);
    const StepResult r = env.step(discrete(a));
    const auto& ns = env.state();
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(ns[i], ref[i], 1e-9) << "trial " << trial << " component " << i;
    EXPECT_NEAR(r.obs[0], std::cos(ref[0]), 1e-9);
    EXPECT_NEAR(r.obs[1], std::sin(ref[0]), 1e-9);
    EXPECT_NEAR(r.obs[2], std::cos(ref[1]), 1e-9);
    EXPECT_NEAR(r.obs[3], std::sin(ref[1]), 1e-9);
    const bool up = -std::cos(ns[0]) - std::cos(ns[0] + ns[1]) > 1.0;
    EXPECT_EQ(r.terminated, up);
    EXPECT_EQ(r.reward, up ? 0.0 : -1.0);
  }
}

TEST(AcrobotTest, GoalAndTimeLimit) {
  Acrobot env;
  env.reset(1);
  // Both links straight up (theta1 = pi): tip height -cos(pi) - cos(pi) = 2 > 1.
  env.set_state({M_PI - 0.01, 0, 0, 0});
  const StepResult r = env.step(discrete(1));
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 0.0);
  EXPECT_EQ(env.spec().max_episode_steps, 200);
  EXPECT_EQ(env.spec().obs_dim, 6);
  // Hanging at rest with no torque never reaches the goal: truncated after 200 steps.
  env.reset();
  StepResult last;
  for (int t = 0; t < 200; ++t) last = env.step(discrete(1));
  EXPECT_TRUE(last.truncated);
  EXPECT_FALSE(last.terminated);
}

TEST(VecEnvTest, LockstepAutoResetAndSeeds) {
  VecEnv a("cartpole", 3, 5), b("cartpole", 3, 5), c("cartpole", 3, 6);
  EXPECT_EQ(a.obs(), b.obs());
  EXPECT_NE(a.obs(), c.obs());
  int64_t ended = 0;
  for (int t = 0; t < 100; ++t) {
    const std::vector<Action> acts(3, discrete(1));  // always right: falls within ~10 steps
    const VecStep sa = a.step(acts), sb = b.step(acts);
    ASSERT_EQ(sa.obs, sb.obs);
    for (int i = 0; i < 3; ++i) {
      if (sa.terminated[i]) {
        ++ended;
        // The ended episode's last state is kept; the new one starts near the origin.
        EXPECT_GT(std::abs(sa.final_obs[i * 4 + 2]), CartPole::kThetaThreshold - 1e-12);
        for (int j = 0; j < 4; ++j) EXPECT_LT(std::abs(sa.obs[i * 4 + j]), CartPole::kResetRange);
      } else {
        for (int j = 0; j < 4; ++j) EXPECT_EQ(sa.obs[i * 4 + j], sa.final_obs[i * 4 + j]);
      }
    }
  }
  EXPECT_GT(ended, 10);
}

TEST(EnvTest, UnknownNameAndBadAction) {
  EXPECT_THROW(make_env("pendulum"), std::runtime_error);
  auto env = make_env("mountaincar");
  env->reset(0);
  EXPECT_THROW(env->step(discrete(3)), std::invalid_argument);
}

}  // namespace
}  // namespace lbb::imitation
