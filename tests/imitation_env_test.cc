// The classic-control environments against hand-computed steps, against independently
// written dynamics (one Acrobot step from random states; long rollouts of all three against
// ports of Gym's sources), and the interface contracts of imitation/env.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <vector>

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

// ---------------------------------------------------------------------------------------
// Long rollouts against independent references. Each reference below is a port of Gym's
// Python source (gym/envs/classic_control/{cartpole,acrobot,mountain_car}.py, with
// gym.wrappers.TimeLimit), written from Gym's text and not from src/imitation: its own
// constants, its own state handling, its own integrator. The only thing it shares with the
// environment is the random stream of the resets (Rng, seeded alike), drawn as numpy's
// RandomState.uniform(low, high) = low + (high - low) * random_sample().
// Every episode's reset state, and the state, observation, reward, terminated and truncated
// flag after every step are compared (see compare_rollouts): states and observations to
// kRelTol relative (values below kRelScale in magnitude, near zero crossings, relative to
// kRelScale), rewards and flags exactly.

constexpr double kRelTol = 1e-12;
constexpr double kRelScale = 1e-2;

struct RefStep {
  std::vector<double> obs;
  double reward = 0;
  bool terminated = false;
  bool truncated = false;
};

// numpy's RandomState.uniform(low, high): low + (high - low) * random_sample().
double np_uniform(Rng& rng, double low, double high) { return low + (high - low) * rng.uniform(); }

// gym.wrappers.TimeLimit as gym 0.21 reports it: after max_episode_steps steps the episode
// ends, and info["TimeLimit.truncated"] = not done (a task end on the last step is a
// termination, not a truncation) -- the convention of imitation/env.h, contract 3.
template <class Core>
class TimeLimitRef {
 public:
  explicit TimeLimitRef(int max_episode_steps) : max_episode_steps_(max_episode_steps) {}
  std::vector<double> reset(uint64_t seed) {
    rng_.seed(seed);
    return reset();
  }
  std::vector<double> reset() {
    elapsed_ = 0;
    return core_.reset(rng_);
  }
  RefStep step(int64_t action) {
    RefStep r = core_.step(action);
    ++elapsed_;
    r.truncated = elapsed_ >= max_episode_steps_ && !r.terminated;
    return r;
  }
  Core& core() { return core_; }

 private:
  Core core_;
  Rng rng_;
  int max_episode_steps_;
  int elapsed_ = 0;
};

// CartPoleEnv, in the form of the original Gym source (from Sutton's pole.c, Barto, Sutton &
// Anderson 1983, the corrected equations of Florian 2007, explicit Euler). The products are
// written as there, theta_dot * theta_dot * sintheta and masspole * costheta * costheta,
// i.e. in a different rounding order from src/imitation/cartpole.cc (which follows the
// later theta_dot**2, costheta**2 text): the two agree to a few ulps per step, not bit for bit.
struct CartPoleRefCore {
  // CartPoleEnv.__init__:
  const double gravity = 9.8;
  const double masscart = 1.0;
  const double masspole = 0.1;
  const double total_mass = masspole + masscart;
  const double length = 0.5;  // actually half the pole's length
  const double polemass_length = masspole * length;
  const double force_mag = 10.0;
  const double tau = 0.02;  // seconds between state updates
  const double theta_threshold_radians = 12 * 2 * M_PI / 360;  // angle at which to fail the episode
  const double x_threshold = 2.4;
  double x = 0, x_dot = 0, theta = 0, theta_dot = 0;

  std::vector<double> raw_state() const { return {x, x_dot, theta, theta_dot}; }
  void sync(const std::array<double, 4>& s) {
    x = s[0];
    x_dot = s[1];
    theta = s[2];
    theta_dot = s[3];
  }

  // _reset: self.state = np_random.uniform(low=-0.05, high=0.05, size=(4,))
  std::vector<double> reset(Rng& rng) {
    x = np_uniform(rng, -0.05, 0.05);
    x_dot = np_uniform(rng, -0.05, 0.05);
    theta = np_uniform(rng, -0.05, 0.05);
    theta_dot = np_uniform(rng, -0.05, 0.05);
    return {x, x_dot, theta, theta_dot};
  }
  // _step:
  //   force = force_mag if action == 1 else -force_mag
  //   temp = (force + polemass_length * theta_dot * theta_dot * sintheta) / total_mass
  //   thetaacc = (gravity * sintheta - costheta * temp) /
  //              (length * (4.0/3.0 - masspole * costheta * costheta / total_mass))
  //   xacc = temp - polemass_length * thetaacc * costheta / total_mass
  //   x += tau * x_dot; x_dot += tau * xacc; theta += tau * theta_dot; theta_dot += tau * thetaacc
  //   done = x < -x_threshold or x > x_threshold or theta < -theta_threshold_radians
  //          or theta > theta_threshold_radians
  //   reward = 1.0 (also on the step that ends the episode)
  RefStep step(int64_t action) {
    const double force = action == 1 ? force_mag : -force_mag;
    const double costheta = std::cos(theta);
    const double sintheta = std::sin(theta);
    const double temp = (force + polemass_length * theta_dot * theta_dot * sintheta) / total_mass;
    const double thetaacc = (gravity * sintheta - costheta * temp) /
                            (length * (4.0 / 3.0 - masspole * costheta * costheta / total_mass));
    const double xacc = temp - polemass_length * thetaacc * costheta / total_mass;
    x = x + tau * x_dot;
    x_dot = x_dot + tau * xacc;
    theta = theta + tau * theta_dot;
    theta_dot = theta_dot + tau * thetaacc;
    RefStep r;
    r.obs = {x, x_dot, theta, theta_dot};
    r.terminated = x < -x_threshold || x > x_threshold || theta < -theta_threshold_radians ||
                   theta > theta_threshold_radians;
    r.reward = 1.0;
    return r;
  }
};

// AcrobotEnv (Acrobot-v1: RK4, book_or_nips = "book", torque_noise_max = 0), ported from
// Gym's _step, _dsdt, rk4, wrap and bound. As there, the integrator runs on the state
// augmented with the torque (derivative 0) over the time points t = [0, dt].
struct AcrobotRefCore {
  static constexpr double dt = .2;
  static constexpr double LINK_LENGTH_1 = 1.;  // [m]
  static constexpr double LINK_LENGTH_2 = 1.;  // [m]
  static constexpr double LINK_MASS_1 = 1.;    // [kg] mass of link 1
  static constexpr double LINK_MASS_2 = 1.;    // [kg] mass of link 2
  static constexpr double LINK_COM_POS_1 = 0.5;  // [m] position of the center of mass of link 1
  static constexpr double LINK_COM_POS_2 = 0.5;  // [m] position of the center of mass of link 2
  static constexpr double LINK_MOI = 1.;         // moments of inertia for both links
  static constexpr double MAX_VEL_1 = 4 * M_PI;
  static constexpr double MAX_VEL_2 = 9 * M_PI;
  static constexpr double AVAIL_TORQUE[3] = {-1., 0., +1};
  using Augmented = std::vector<double>;  // theta1, theta2, dtheta1, dtheta2, torque
  std::vector<double> state = std::vector<double>(4);

  std::vector<double> raw_state() const { return state; }
  void sync(const std::array<double, 4>& s) { state.assign(s.begin(), s.end()); }

  // _reset: self.state = np_random.uniform(low=-0.1, high=0.1, size=(4,))
  std::vector<double> reset(Rng& rng) {
    for (double& v : state) v = np_uniform(rng, -0.1, 0.1);
    return get_ob();
  }
  // _get_ob: [cos(s[0]), sin(s[0]), cos(s[1]), sin(s[1]), s[2], s[3]]
  std::vector<double> get_ob() const {
    const std::vector<double>& s = state;
    return {std::cos(s[0]), std::sin(s[0]), std::cos(s[1]), std::sin(s[1]), s[2], s[3]};
  }
  // _dsdt(s_augmented, t):
  //   d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * cos(theta2)) + I1 + I2
  //   d2 = m2 * (lc2**2 + l1 * lc2 * cos(theta2)) + I2
  //   phi2 = m2 * lc2 * g * cos(theta1 + theta2 - pi / 2.)
  //   phi1 = - m2 * l1 * lc2 * dtheta2**2 * sin(theta2) - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2)
  //          + (m1 * lc1 + m2 * l1) * g * cos(theta1 - pi / 2) + phi2
  //   ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * sin(theta2) - phi2)   # "book"
  //              / (m2 * lc2**2 + I2 - d2**2 / d1)
  //   ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
  //   return (dtheta1, dtheta2, ddtheta1, ddtheta2, 0.)
  static Augmented dsdt(const Augmented& s_augmented, double /*t*/) {
    const double m1 = LINK_MASS_1, m2 = LINK_MASS_2, l1 = LINK_LENGTH_1;
    const double lc1 = LINK_COM_POS_1, lc2 = LINK_COM_POS_2, I1 = LINK_MOI, I2 = LINK_MOI;
    const double g = 9.8;
    const double a = s_augmented.back();
    const double theta1 = s_augmented[0], theta2 = s_augmented[1];
    const double dtheta1 = s_augmented[2], dtheta2 = s_augmented[3];
    auto sq = [](double v) { return v * v; };  // Python's v ** 2 (exact square, rounded once)
    const double d1 = m1 * sq(lc1) + m2 * (sq(l1) + sq(lc2) + 2 * l1 * lc2 * std::cos(theta2)) + I1 + I2;
    const double d2 = m2 * (sq(lc2) + l1 * lc2 * std::cos(theta2)) + I2;
    const double phi2 = m2 * lc2 * g * std::cos(theta1 + theta2 - M_PI / 2.);
    const double phi1 = -m2 * l1 * lc2 * sq(dtheta2) * std::sin(theta2) -
                        2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * std::sin(theta2) +
                        (m1 * lc1 + m2 * l1) * g * std::cos(theta1 - M_PI / 2) + phi2;
    const double ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * sq(dtheta1) * std::sin(theta2) - phi2) /
                            (m2 * sq(lc2) + I2 - sq(d2) / d1);
    const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    return {dtheta1, dtheta2, ddtheta1, ddtheta2, 0.};
  }
  // rk4(derivs, y0, t): for each interval, dt = t[i+1] - t[i], dt2 = dt / 2.0,
  //   k1 = derivs(y0, t_i), k2 = derivs(y0 + dt2 k1, t_i + dt2), k3 = derivs(y0 + dt2 k2, t_i + dt2),
  //   k4 = derivs(y0 + dt k3, t_i + dt), y_{i+1} = y0 + dt / 6.0 * (k1 + 2 k2 + 2 k3 + k4).
  static std::vector<Augmented> rk4(Augmented (*derivs)(const Augmented&, double), const Augmented& y0,
                                    const std::vector<double>& t) {
    auto lin = [](const Augmented& y, double h, const Augmented& k) {  // y + h * k, elementwise
      Augmented out(y.size());
      for (size_t j = 0; j < y.size(); ++j) out[j] = y[j] + h * k[j];
      return out;
    };
    std::vector<Augmented> yout(t.size());
    yout[0] = y0;
    for (size_t i = 0; i + 1 < t.size(); ++i) {
      const double thist = t[i];
      const double h = t[i + 1] - thist;
      const double h2 = h / 2.0;
      const Augmented& y = yout[i];
      const Augmented k1 = derivs(y, thist);
      const Augmented k2 = derivs(lin(y, h2, k1), thist + h2);
      const Augmented k3 = derivs(lin(y, h2, k2), thist + h2);
      const Augmented k4 = derivs(lin(y, h, k3), thist + h);
      yout[i + 1].resize(y.size());
      for (size_t j = 0; j < y.size(); ++j) yout[i + 1][j] = y[j] + h / 6.0 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
    }
    return yout;
  }
  // wrap(x, m, M): diff = M - m; while x > M: x = x - diff; while x < m: x = x + diff
  static double wrap(double x, double m, double M) {
    const double diff = M - m;
    while (x > M) x = x - diff;
    while (x < m) x = x + diff;
    return x;
  }
  // bound(x, m, M) = min(max(x, m), M)
  static double bound(double x, double m, double M) { return std::min(std::max(x, m), M); }

  // _step(a): ns = rk4(_dsdt, append(s, torque), [0, dt])[-1][:4]; wrap the angles into
  // [-pi, pi], bound the velocities by MAX_VEL_1/2; terminal = -cos(s[0]) - cos(s[1] + s[0]) > 1.;
  // reward = -1. if not terminal else 0.
  RefStep step(int64_t a) {
    const double torque = AVAIL_TORQUE[a];
    Augmented s_augmented = state;
    s_augmented.push_back(torque);
    std::vector<double> ns = rk4(&dsdt, s_augmented, {0, dt}).back();
    ns.resize(4);  // omit action
    ns[0] = wrap(ns[0], -M_PI, M_PI);
    ns[1] = wrap(ns[1], -M_PI, M_PI);
    ns[2] = bound(ns[2], -MAX_VEL_1, MAX_VEL_1);
    ns[3] = bound(ns[3], -MAX_VEL_2, MAX_VEL_2);
    state = ns;
    RefStep r;
    r.terminated = -std::cos(state[0]) - std::cos(state[1] + state[0]) > 1.;
    r.reward = r.terminated ? 0. : -1.;
    r.obs = get_ob();
    return r;
  }
};

// MountainCarEnv (MountainCar-v0), ported from Gym's _step with its literal constants and
// its comparisons in place of clips:
//   velocity += (action-1)*0.001 + math.cos(3*position)*(-0.0025)
//   if velocity > max_speed: velocity = max_speed;  if velocity < -max_speed: velocity = -max_speed
//   position += velocity
//   if position > max_position: position = max_position;  if position < min_position: position = min_position
//   if position == min_position and velocity < 0: velocity = 0
//   done = position >= goal_position (and, in later Gym, velocity >= goal_velocity = 0); reward = -1.0
struct MountainCarRefCore {
  const double min_position = -1.2;
  const double max_position = 0.6;
  const double max_speed = 0.07;
  const double goal_position = 0.5;
  const double goal_velocity = 0;
  double position = 0, velocity = 0;
  int64_t wall_stops = 0;  // steps on which the left wall stopped the car (coverage)

  std::vector<double> raw_state() const { return {position, velocity}; }
  void sync(const std::array<double, 2>& s) {
    position = s[0];
    velocity = s[1];
  }

  // _reset: self.state = [np_random.uniform(low=-0.6, high=-0.4), 0]
  std::vector<double> reset(Rng& rng) {
    position = np_uniform(rng, -0.6, -0.4);
    velocity = 0;
    return {position, velocity};
  }
  RefStep step(int64_t action) {
    velocity += static_cast<double>(action - 1) * 0.001 + std::cos(3 * position) * (-0.0025);
    if (velocity > max_speed) velocity = max_speed;
    if (velocity < -max_speed) velocity = -max_speed;
    position += velocity;
    if (position > max_position) position = max_position;
    if (position < min_position) position = min_position;
    if (position == min_position && velocity < 0) {
      velocity = 0;
      ++wall_stops;
    }
    RefStep r;
    r.terminated = position >= goal_position && velocity >= goal_velocity;
    r.reward = -1.0;
    r.obs = {position, velocity};
    return r;
  }
};

struct RolloutStats {
  int64_t episodes = 0, steps = 0, terminated = 0, truncated = 0;
  int64_t values = 0, exact = 0;  // state / observation components compared, bit-identical
  double max_rel = 0;             // the largest |ours - ref| / max(|ref|, kRelScale)
};

// Checks one vector against the reference's; false (and a failure) if a component differs
// by more than kRelTol.
bool expect_near(const std::vector<double>& ours, const std::vector<double>& ref, RolloutStats& st,
                 const char* what, int64_t episode, int64_t t) {
  EXPECT_EQ(ours.size(), ref.size()) << what;
  if (ours.size() != ref.size()) return false;
  bool ok = true;
  for (size_t i = 0; i < ours.size(); ++i) {
    const double rel = std::abs(ours[i] - ref[i]) / std::max(std::abs(ref[i]), kRelScale);
    ++st.values;
    st.exact += ours[i] == ref[i];
    st.max_rel = std::max(st.max_rel, rel);
    if (!(rel <= kRelTol)) {
      ADD_FAILURE() << what << ", episode " << episode << " step " << t << " component " << i << ": ours "
                    << ours[i] << ", reference " << ref[i] << " (relative difference " << rel << ")";
      ok = false;
    }
  }
  return ok;
}

// `episodes` episodes of env against ref, from reset(seed) and then reset(), each until it
// ends (terminated or truncated; the reference must agree on which, on the same step).
// Actions come from policy(reference observation, episode, generator), with a generator of
// their own, seeded. The state and observation after every step are compared; then the
// reference continues from the environment's exact state, so that each step is checked
// from the same state: the balanced pole and the swinging acrobot are unstable, and would
// amplify any rounding difference between two correct implementations (CartPole's of a
// few ulps per step, see CartPoleRefCore) far beyond kRelTol within 200 steps. (Acrobot
// and MountainCar follow Gym's arithmetic exactly and would agree without it; the printed
// statistics show the share of bit-identical values.) Stops at the first mismatch.
template <class E, class Ref, class Policy>
RolloutStats compare_rollouts(E& env, Ref& ref, uint64_t seed, int64_t episodes, Policy policy) {
  RolloutStats st;
  std::mt19937_64 action_gen(seed ^ 0x9e3779b97f4a7c15ULL);
  auto env_state = [&env] { return std::vector<double>(env.state().begin(), env.state().end()); };
  for (int64_t ep = 0; ep < episodes; ++ep) {
    std::vector<double> ref_obs = ep == 0 ? ref.reset(seed) : ref.reset();
    const std::vector<double> obs = ep == 0 ? env.reset(seed) : env.reset();
    ++st.episodes;
    // The reset states, drawn by each from its own generator.
    if (!expect_near(env_state(), ref.core().raw_state(), st, "reset state", ep, -1) ||
        !expect_near(obs, ref_obs, st, "reset observation", ep, -1))
      return st;
    for (int64_t t = 0;; ++t) {
      if (t >= env.spec().max_episode_steps) {
        ADD_FAILURE() << "episode " << ep << " did not end within the time limit";
        return st;
      }
      const int64_t a = policy(ref_obs, ep, action_gen);
      const StepResult r = env.step(discrete(a));
      const RefStep rr = ref.step(a);
      ++st.steps;
      bool ok = expect_near(env_state(), ref.core().raw_state(), st, "state", ep, t);
      ok = expect_near(r.obs, rr.obs, st, "observation", ep, t) && ok;
      EXPECT_EQ(r.reward, rr.reward) << "episode " << ep << " step " << t;
      EXPECT_EQ(r.terminated, rr.terminated) << "episode " << ep << " step " << t;
      EXPECT_EQ(r.truncated, rr.truncated) << "episode " << ep << " step " << t;
      ok = ok && r.reward == rr.reward && r.terminated == rr.terminated && r.truncated == rr.truncated;
      if (!ok) return st;  // one report, not the cascade after it
      if (rr.terminated || rr.truncated) {
        st.terminated += rr.terminated;
        st.truncated += rr.truncated;
        break;
      }
      ref.core().sync(env.state());
      ref_obs = rr.obs;
    }
  }
  return st;
}

void print_stats(const char* name, const RolloutStats& st) {
  std::printf("%s: %lld episodes, %lld steps (%lld terminated, %lld truncated); %lld of %lld state and observation "
              "values bit-identical, max relative difference %.3g\n",
              name, static_cast<long long>(st.episodes), static_cast<long long>(st.steps),
              static_cast<long long>(st.terminated), static_cast<long long>(st.truncated),
              static_cast<long long>(st.exact), static_cast<long long>(st.values), st.max_rel);
}

constexpr int64_t kRolloutEpisodes = 20;

TEST(CartPoleTest, LongRolloutsMatchGymReference) {
  CartPole env(200);
  TimeLimitRef<CartPoleRefCore> ref(200);  // CartPole-v0: max_episode_steps = 200
  // Even episodes: uniform random actions (the pole falls within tens of steps). Odd
  // episodes: the balancing rule "push right when theta + theta_dot > 0" with 10% random
  // actions, which keeps the pole up until the time limit.
  auto policy = [](const std::vector<double>& o, int64_t ep, std::mt19937_64& gen) -> int64_t {
    const uint64_t u = gen();
    if (ep % 2 == 0 || u % 10 == 0) return static_cast<int64_t>((u >> 8) % 2);
    return o[2] + o[3] > 0 ? 1 : 0;
  };
  for (uint64_t seed : {0u, 12345u}) {
    const RolloutStats st = compare_rollouts(env, ref, seed, kRolloutEpisodes, policy);
    print_stats("CartPole-v0 vs Gym reference", st);
    EXPECT_GT(st.terminated, 0);
    EXPECT_GT(st.truncated, 0);
  }
}

TEST(AcrobotTest, LongRolloutsMatchGymReference) {
  Acrobot env;
  TimeLimitRef<AcrobotRefCore> ref(200);  // the thesis' time limit (imitation/acrobot.h)
  // Even episodes: uniform random torques (they do not reach the goal in 200 steps). Odd
  // episodes: pump energy with the torque against the first link's velocity, with 20%
  // random torques (reaches the goal in about 100 steps).
  auto policy = [](const std::vector<double>& o, int64_t ep, std::mt19937_64& gen) -> int64_t {
    const uint64_t u = gen();
    if (ep % 2 == 0 || u % 5 == 0) return static_cast<int64_t>((u >> 8) % 3);
    return o[4] > 0 ? 0 : 2;
  };
  for (uint64_t seed : {0u, 12345u}) {
    const RolloutStats st = compare_rollouts(env, ref, seed, kRolloutEpisodes, policy);
    print_stats("Acrobot vs Gym reference", st);
    EXPECT_GT(st.terminated, 0);
    EXPECT_GT(st.truncated, 0);
  }
}

TEST(MountainCarTest, LongRolloutsMatchGymReference) {
  MountainCar env;
  TimeLimitRef<MountainCarRefCore> ref(200);  // MountainCar-v0: max_episode_steps = 200
  // Even episodes: uniform random actions (never reach the flag). Odd episodes: push in the
  // direction of the velocity, with 10% random actions: the swings grow until the car
  // reaches the flag. Some episodes run into the left wall.
  auto policy = [](const std::vector<double>& o, int64_t ep, std::mt19937_64& gen) -> int64_t {
    const uint64_t u = gen();
    if (ep % 2 == 0 || u % 10 == 0) return static_cast<int64_t>((u >> 8) % 3);
    return o[1] >= 0 ? 2 : 0;
  };
  for (uint64_t seed : {0u, 12345u}) {
    ref.core().wall_stops = 0;
    const RolloutStats st = compare_rollouts(env, ref, seed, kRolloutEpisodes, policy);
    print_stats("MountainCar-v0 vs Gym reference", st);
    EXPECT_GT(st.terminated, 0);
    EXPECT_GT(st.truncated, 0);
    EXPECT_GT(ref.core().wall_stops, 0);
  }
}

}  // namespace
}  // namespace lbb::imitation
