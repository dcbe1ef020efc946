// The MuJoCo tasks (imitation/mujoco_env.h): observation sizes and layouts, body masses of
// MuJoCo 1.31's capsule rule against the published Gym values, reward decompositions on
// hand-checked steps, termination, reset noise bounds, and determinism from a seed.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "imitation/mujoco_env.h"
#include "imitation/mujoco_model.h"

namespace lbb::imitation {
namespace {

struct TaskFacts {
  std::string name;
  int64_t obs_dim, action_dim, limit;
  double frame_dt;
};

const std::vector<TaskFacts> kTasks = {
    {"reacher", 11, 2, 50, 0.02},   {"halfcheetah", 17, 6, 1000, 0.05}, {"hopper", 11, 3, 1000, 0.008},
    {"walker2d", 17, 6, 1000, 0.008}, {"ant", 111, 8, 1000, 0.05},       {"humanoid", 376, 17, 1000, 0.015},
};

std::unique_ptr<MujocoEnv> make(const std::string& name) {
  std::unique_ptr<Env> env = make_env(name);
  auto* m = dynamic_cast<MujocoEnv*>(env.get());
  EXPECT_NE(m, nullptr) << name;
  env.release();
  return std::unique_ptr<MujocoEnv>(m);
}

Action act(std::vector<double> values) {
  Action a;
  a.values = std::move(values);
  return a;
}

double sum_squares(const std::vector<double>& a) {
  double s = 0;
  for (double x : a) s += x * x;
  return s;
}

TEST(MujocoTasks, SpecsAndObservationSizes) {
  for (const TaskFacts& t : kTasks) {
    auto env = make(t.name);
    EXPECT_EQ(env->spec().obs_dim, t.obs_dim) << t.name;
    EXPECT_EQ(env->spec().action_dim, t.action_dim) << t.name;
    EXPECT_EQ(env->spec().max_episode_steps, t.limit) << t.name;
    EXPECT_DOUBLE_EQ(env->dt(), t.frame_dt) << t.name;
    EXPECT_EQ(static_cast<int64_t>(env->reset(1).size()), t.obs_dim) << t.name;
    const StepResult r = env->step(act(std::vector<double>(t.action_dim, 0.1)));
    EXPECT_EQ(static_cast<int64_t>(r.obs.size()), t.obs_dim) << t.name;
  }
}

// Gym's Hopper-v1 body masses (MuJoCo 1.31): torso, thigh, leg, foot.
TEST(MujocoTasks, BodyMassesFollowMujoco131) {
  const mjModel* hopper = mujoco_model("hopper");
  const double expected[] = {3.53429174, 3.92699082, 2.71433605, 5.0893801};
  for (int b = 1; b <= 4; ++b) EXPECT_NEAR(hopper->body_mass[b], expected[b - 1], 1e-7) << b;
  // Ant: torso sphere and the 0.2 sqrt 2 and 0.4 sqrt 2 capsules at density 5.
  const mjModel* ant = mujoco_model("ant");
  EXPECT_NEAR(ant->body_mass[1], 0.32724923, 1e-7);
  EXPECT_NEAR(ant->body_mass[2], 0.03647693, 1e-7);
  EXPECT_NEAR(ant->body_mass[4], 0.06491138, 1e-7);
  // HalfCheetah keeps Gym's total of 14 kg.
  const mjModel* cheetah = mujoco_model("halfcheetah");
  double total = 0;
  for (int b = 0; b < cheetah->nbody; ++b) total += cheetah->body_mass[b];
  EXPECT_NEAR(total, 14.0, 1e-9);
  // A capsule's moment about its axis: m r^2 / 2 (Hopper's thigh, radius 0.05, vertical).
  EXPECT_NEAR(hopper->body_inertia[3 * 2 + 0] + hopper->body_inertia[3 * 2 + 1] + hopper->body_inertia[3 * 2 + 2],
              3.92699082 * (0.05 * 0.05 / 2 + 2 * (3 * 0.05 * 0.05 + 0.5 * 0.5) / 12), 1e-9);
  EXPECT_EQ(mujoco_model_names().size(), 6u);
}

TEST(MujocoTasks, ResetNoiseBoundsAndDeterminism) {
  struct Bound {
    std::string name;
    double qpos, qvel;  // uniform half-widths (qvel < 0: Gaussian, unchecked)
  };
  for (const Bound& b : std::vector<Bound>{{"hopper", 0.005, 0.005}, {"walker2d", 0.005, 0.005},
                                            {"humanoid", 0.01, 0.01}, {"halfcheetah", 0.1, -1}, {"ant", 0.1, -1}}) {
    auto env = make(b.name);
    const mjModel* m = env->model();
    for (uint64_t seed = 0; seed < 20; ++seed) {
      env->reset(seed);
      const std::vector<double> q = env->qpos(), v = env->qvel();
      for (int i = 0; i < m->nq; ++i) {
        EXPECT_LE(std::abs(q[i] - m->qpos0[i]), b.qpos) << b.name << " qpos " << i;
      }
      if (b.qvel > 0) {
        for (int i = 0; i < m->nv; ++i) {
          EXPECT_LE(std::abs(v[i]), b.qvel) << b.name << " qvel " << i;
        }
      }
    }
    // Hopper / Walker start at their joint references: rootz 1.25.
    if (b.name == "hopper" || b.name == "walker2d") {
      EXPECT_DOUBLE_EQ(m->qpos0[1], 1.25);
    }
  }
  // Reacher: arm U(+-0.1), goal U(+-0.2)^2, target at rest.
  auto reacher = make("reacher");
  for (uint64_t seed = 0; seed < 20; ++seed) {
    reacher->reset(seed);
    const std::vector<double> q = reacher->qpos(), v = reacher->qvel();
    EXPECT_LE(std::abs(q[0]), 0.1);
    EXPECT_LE(std::abs(q[1]), 0.1);
    EXPECT_LE(std::abs(q[2]), 0.2);
    EXPECT_LE(std::abs(q[3]), 0.2);
    EXPECT_EQ(v[2], 0.0);
    EXPECT_EQ(v[3], 0.0);
  }
  // The same seed and actions: the same episode, bit for bit.
  for (const TaskFacts& t : kTasks) {
    auto a = make(t.name), b = make(t.name);
    std::vector<double> oa = a->reset(7), ob = b->reset(7);
    EXPECT_EQ(oa, ob) << t.name;
    for (int k = 0; k < 30; ++k) {
      std::vector<double> u(t.action_dim);
      for (int j = 0; j < t.action_dim; ++j) u[j] = std::sin(0.3 * k + j);
      const StepResult ra = a->step(act(u)), rb = b->step(act(u));
      ASSERT_EQ(ra.obs, rb.obs) << t.name << " step " << k;
      ASSERT_EQ(ra.reward, rb.reward) << t.name;
      if (ra.done()) break;
    }
    EXPECT_NE(a->reset(8), oa) << t.name;
  }
}

TEST(MujocoTasks, HalfCheetahForwardRewardIsDxOverDt) {
  auto env = make("halfcheetah");
  env->reset(3);
  for (int k = 0; k < 20; ++k) {
    const std::vector<double> u = {0.5, -0.3, 0.2, 0.9, -0.7, 0.1};
    const double x0 = env->qpos()[0];
    const StepResult r = env->step(act(u));
    EXPECT_DOUBLE_EQ(r.reward + 0.1 * sum_squares(u), (env->qpos()[0] - x0) / 0.05);
    EXPECT_FALSE(r.terminated);
    // obs = qpos[1:], qvel
    EXPECT_EQ(r.obs[0], env->qpos()[1]);
    EXPECT_EQ(r.obs[8], env->qvel()[0]);
  }
}

TEST(MujocoTasks, HopperRewardAndZeroActionFall) {
  auto env = make("hopper");
  std::vector<double> o = env->reset(5);
  EXPECT_EQ(o[0], env->qpos()[1]);  // obs starts at qpos[1] (rootz)
  int64_t steps = 0;
  StepResult r;
  do {
    const double x0 = env->qpos()[0];
    r = env->step(act({0, 0, 0}));
    EXPECT_NEAR(r.reward, (env->qpos()[0] - x0) / 0.008 + 1.0, 1e-12);
    ++steps;
  } while (!r.done());
  // It falls: the episode ends on the task's own test, long before the time limit.
  EXPECT_TRUE(r.terminated);
  EXPECT_LT(steps, 1000);
  const std::vector<double> q = env->qpos();
  EXPECT_TRUE(q[1] <= 0.7 || std::abs(q[2]) >= 0.2);
  // Control cost 1e-3 sum a^2.
  env->reset(5);
  const double x0 = env->qpos()[0];
  r = env->step(act({1, -1, 0.5}));
  EXPECT_NEAR(r.reward, (env->qpos()[0] - x0) / 0.008 + 1.0 - 1e-3 * 2.25, 1e-12);
  for (int i = 5; i < 11; ++i) EXPECT_LE(std::abs(r.obs[i]), 10.0);  // clipped velocities
}

TEST(MujocoTasks, WalkerTerminatesOnHeightOrAngle) {
  auto env = make("walker2d");
  env->reset(1);
  std::vector<double> q = env->qpos(), v = env->qvel();
  q[1] = 2.2;  // above 2
  env->set_state(q, v);
  EXPECT_TRUE(env->step(act(std::vector<double>(6, 0))).terminated);
  env->reset(1);
  q = env->qpos();
  q[2] = 1.2;  // leaning past 1 rad
  env->set_state(q, v);
  EXPECT_TRUE(env->step(act(std::vector<double>(6, 0))).terminated);
  env->reset(1);
  EXPECT_FALSE(env->step(act(std::vector<double>(6, 0))).terminated);
}

TEST(MujocoTasks, AntContactForcesOnTheGroundAndReward) {
  auto env = make("ant");
  env->reset(2);
  StepResult r;
  for (int k = 0; k < 40; ++k) r = env->step(act(std::vector<double>(8, 0)));  // falls onto its legs
  double contact = 0, clipped_sq = 0;
  for (int i = 27; i < 111; ++i) {
    contact += std::abs(r.obs[i]);
    clipped_sq += r.obs[i] * r.obs[i];
    EXPECT_LE(std::abs(r.obs[i]), 1.0);
  }
  EXPECT_GT(contact, 0.0);
  // reward = dx_torso/dt - 0.5 sum a^2 - 0.5e-3 sum clip(cfrc_ext)^2 + 1; the torso's subtree
  // is the whole ant, so dx is the centre of mass's.
  const double before = env->data()->subtree_com[3];
  const std::vector<double> u = {0.2, -0.2, 0.3, 0.1, 0, 0, 0.5, -0.5};
  r = env->step(act(u));
  double sq = 0;
  for (int i = 27; i < 111; ++i) sq += r.obs[i] * r.obs[i];
  EXPECT_NEAR(r.reward, (env->data()->subtree_com[3] - before) / 0.05 - 0.5 * sum_squares(u) - 0.5e-3 * sq + 1.0, 1e-12);
  EXPECT_FALSE(r.terminated);
  EXPECT_GT(clipped_sq, 0.0);
}

TEST(MujocoTasks, ReacherRewardIsTheDistanceBeforeTheStep) {
  auto env = make("reacher");
  std::vector<double> o = env->reset(4);
  for (int k = 0; k < 50; ++k) {
    const std::vector<double> u = {std::cos(0.2 * k), 0.5};
    const double dist = std::sqrt(o[8] * o[8] + o[9] * o[9] + o[10] * o[10]);
    const StepResult r = env->step(act(u));
    EXPECT_NEAR(r.reward, -dist - sum_squares(u), 1e-15);
    EXPECT_FALSE(r.terminated);
    EXPECT_EQ(r.truncated, k == 49);
    // obs: cos q0, cos q1, sin q0, sin q1, target x y, qvel[:2], fingertip - target
    EXPECT_EQ(r.obs[0], std::cos(env->qpos()[0]));
    EXPECT_EQ(r.obs[3], std::sin(env->qpos()[1]));
    EXPECT_EQ(r.obs[4], env->qpos()[2]);
    o = r.obs;
  }
}

TEST(MujocoTasks, HumanoidControlCostSeesClampedControlsAndFallEnds) {
  auto env = make("humanoid");
  env->reset(6);
  StepResult r;
  int64_t steps = 0;
  do {
    r = env->step(act(std::vector<double>(17, 0)));
    ++steps;
  } while (!r.done());
  EXPECT_TRUE(r.terminated);  // falls below z = 1
  EXPECT_LT(env->qpos()[2], 1.0);
  EXPECT_LT(steps, 1000);
  // Two runs differing only beyond the control range (1.0 vs 0.4 on every actuator) move the
  // same way (MuJoCo clamps) and pay the same control cost 0.1 * 17 * 0.16.
  auto a = make("humanoid"), b = make("humanoid");
  a->reset(6);
  b->reset(6);
  const StepResult ra = a->step(act(std::vector<double>(17, 1.0))), rb = b->step(act(std::vector<double>(17, 0.4)));
  EXPECT_EQ(ra.obs, rb.obs);
  EXPECT_EQ(ra.reward, rb.reward);
}

TEST(MujocoTasks, SetStateReproducesTheSimulatorsState) {
  auto env = make("walker2d");
  env->reset(9);
  for (int k = 0; k < 10; ++k) env->step(act(std::vector<double>(6, 0.3)));
  const std::vector<double> q = env->qpos(), v = env->qvel();
  auto other = make("walker2d");
  other->reset(0);
  other->set_state(q, v);
  EXPECT_EQ(other->qpos(), q);
  EXPECT_EQ(other->qvel(), v);
}

}  // namespace
}  // namespace lbb::imitation
