// The six MuJoCo tasks of mujoco_env.h's table: Gym's first MuJoCo environments (reset noise,
// observations, rewards and ends as in Gym's hopper.py, walker2d.py, half_cheetah.py, ant.py,
// humanoid.py and reacher.py of 2016), written against MuJoCo 2.2's C API.
#include <algorithm>
#include <cmath>

#include "imitation/mujoco_env.h"

namespace lbb::imitation {
namespace {

double sum_squares(const std::vector<double>& a) {
  double s = 0;
  for (double x : a) s += x * x;
  return s;
}

void append(std::vector<double>& out, const double* begin, const double* end) { out.insert(out.end(), begin, end); }

void append_clipped(std::vector<double>& out, const double* begin, const double* end, double bound) {
  for (const double* p = begin; p != end; ++p) out.push_back(std::clamp(*p, -bound, bound));
}

EnvSpec continuous_spec(const char* name, int64_t obs_dim, int64_t action_dim, int64_t limit) {
  EnvSpec s;
  s.name = name;
  s.obs_dim = obs_dim;
  s.action_dim = action_dim;
  s.max_episode_steps = limit;
  return s;
}

// Starts an episode at qpos0 + U(-q, q) and qvel0 + U(-v, v) (numpy's uniform, qpos first) or,
// with normal_qvel, qvel0 + v N(0, 1).
struct ResetNoise {
  double qpos, qvel;
  bool normal_qvel = false;
};

class Task : public MujocoEnv {
 protected:
  Task(EnvSpec spec, const char* model, int frame_skip, bool contact_forces, ResetNoise noise)
      : MujocoEnv(std::move(spec), model, frame_skip, contact_forces), noise_(noise) {}

  std::vector<double> reset_state() override {
    std::vector<double> qpos(m_->qpos0, m_->qpos0 + m_->nq), qvel(m_->nv, 0.0);
    for (double& q : qpos) q += rng_.uniform(-noise_.qpos, noise_.qpos);
    adjust_reset(qpos);
    for (double& v : qvel) v += noise_.normal_qvel ? noise_.qvel * rng_.normal() : rng_.uniform(-noise_.qvel, noise_.qvel);
    adjust_reset_velocity(qvel);
    return set_state(qpos, qvel);
  }
  virtual void adjust_reset(std::vector<double>&) {}
  virtual void adjust_reset_velocity(std::vector<double>&) {}

 private:
  ResetNoise noise_;
};

// Hopper and Walker2d: forward progress of the root plus an alive bonus; they stand while the
// torso is high and upright enough.
class PlanarWalker : public Task {
 protected:
  using Task::Task;
  virtual bool healthy() const = 0;
  StepResult step_dynamics(const Action& action) override {
    const double before = d_->qpos[0];
    do_simulation(action.values);
    StepResult r;
    r.reward = (d_->qpos[0] - before) / dt() + 1.0 - 1e-3 * sum_squares(action.values);
    r.terminated = !healthy();
    r.obs = observation();
    return r;
  }
  std::vector<double> observation() const override {
    std::vector<double> o;
    append(o, d_->qpos + 1, d_->qpos + m_->nq);
    append_clipped(o, d_->qvel, d_->qvel + m_->nv, 10.0);
    return o;
  }
};

class Hopper : public PlanarWalker {
 public:
  Hopper() : PlanarWalker(continuous_spec("hopper", 11, 3, 1000), "hopper", 4, false, {0.005, 0.005}) {}

 protected:
  // Gym: finite, |s[2:]| < 100 for s = (qpos, qvel), height > 0.7, |angle| < 0.2.
  bool healthy() const override {
    if (!state_finite()) return false;
    for (int i = 2; i < m_->nq + m_->nv; ++i)
      if (std::abs(i < m_->nq ? d_->qpos[i] : d_->qvel[i - m_->nq]) >= 100) return false;
    return d_->qpos[1] > 0.7 && std::abs(d_->qpos[2]) < 0.2;
  }
};

class Walker2d : public PlanarWalker {
 public:
  Walker2d() : PlanarWalker(continuous_spec("walker2d", 17, 6, 1000), "walker2d", 4, false, {0.005, 0.005}) {}

 protected:
  bool healthy() const override {
    const double height = d_->qpos[1], angle = d_->qpos[2];
    return height > 0.8 && height < 2.0 && angle > -1.0 && angle < 1.0;
  }
};

class HalfCheetah : public Task {
 public:
  HalfCheetah() : Task(continuous_spec("halfcheetah", 17, 6, 1000), "halfcheetah", 5, false, {0.1, 0.1, true}) {}

 protected:
  StepResult step_dynamics(const Action& action) override {
    const double before = d_->qpos[0];
    do_simulation(action.values);
    StepResult r;
    r.reward = (d_->qpos[0] - before) / dt() - 0.1 * sum_squares(action.values);
    r.obs = observation();
    return r;
  }
  std::vector<double> observation() const override {
    std::vector<double> o;
    append(o, d_->qpos + 1, d_->qpos + m_->nq);
    append(o, d_->qvel, d_->qvel + m_->nv);
    return o;
  }
};

class Ant : public Task {
 public:
  Ant() : Task(continuous_spec("ant", 111, 8, 1000), "ant", 5, true, {0.1, 0.1, true}), torso_(body_id("torso")) {}

 protected:
  StepResult step_dynamics(const Action& action) override {
    const double before = subtree_com(torso_)[0];
    do_simulation(action.values);
    double contact = 0;
    for (int i = 0; i < 6 * m_->nbody; ++i) contact += std::pow(std::clamp(d_->cfrc_ext[i], -1.0, 1.0), 2);
    StepResult r;
    r.reward = (subtree_com(torso_)[0] - before) / dt() - 0.5 * sum_squares(action.values) - 0.5 * 1e-3 * contact + 1.0;
    r.terminated = !(state_finite() && d_->qpos[2] >= 0.2 && d_->qpos[2] <= 1.0);
    r.obs = observation();
    return r;
  }
  std::vector<double> observation() const override {
    std::vector<double> o;
    append(o, d_->qpos + 2, d_->qpos + m_->nq);
    append(o, d_->qvel, d_->qvel + m_->nv);
    append_clipped(o, d_->cfrc_ext, d_->cfrc_ext + 6 * m_->nbody, 1.0);
    return o;
  }

 private:
  int torso_;
};

class Humanoid : public Task {
 public:
  Humanoid() : Task(continuous_spec("humanoid", 376, 17, 1000), "humanoid", 5, true, {0.01, 0.01}) {}

 protected:
  double mass_center_x() const {
    double mx = 0, mass = 0;
    for (int b = 0; b < m_->nbody; ++b) {
      mx += m_->body_mass[b] * d_->xipos[3 * b];
      mass += m_->body_mass[b];
    }
    return mx / mass;
  }
  StepResult step_dynamics(const Action& action) override {
    const double before = mass_center_x();
    do_simulation(action.values);
    double ctrl = 0, impact = 0;
    for (int i = 0; i < m_->nu; ++i)
      ctrl += std::pow(std::clamp(action.values[i], m_->actuator_ctrlrange[2 * i], m_->actuator_ctrlrange[2 * i + 1]), 2);
    for (int i = 0; i < 6 * m_->nbody; ++i) impact += d_->cfrc_ext[i] * d_->cfrc_ext[i];
    StepResult r;
    // Gym: 0.25 * dx / timestep (= 1.25 dx / dt for frame skip 5).
    r.reward = 0.25 * (mass_center_x() - before) / m_->opt.timestep - 0.1 * ctrl - std::min(0.5e-6 * impact, 10.0) + 5.0;
    r.terminated = d_->qpos[2] < 1.0 || d_->qpos[2] > 2.0;
    r.obs = observation();
    return r;
  }
  std::vector<double> observation() const override {
    std::vector<double> o;
    append(o, d_->qpos + 2, d_->qpos + m_->nq);
    append(o, d_->qvel, d_->qvel + m_->nv);
    append(o, d_->cinert, d_->cinert + 10 * m_->nbody);
    append(o, d_->cvel, d_->cvel + 6 * m_->nbody);
    append(o, d_->qfrc_actuator, d_->qfrc_actuator + m_->nv);
    append(o, d_->cfrc_ext, d_->cfrc_ext + 6 * m_->nbody);
    return o;
  }
};

class Reacher : public Task {
 public:
  Reacher()
      : Task(continuous_spec("reacher", 11, 2, 50), "reacher", 2, false, {0.1, 0.005}),
        fingertip_(body_id("fingertip")),
        target_(body_id("target")) {}

 protected:
  // Gym draws the goal in U(-0.2, 0.2)^2 until its norm is below 2 (always at once in that
  // version); the target starts at rest.
  void adjust_reset(std::vector<double>& qpos) override {
    const double gx = rng_.uniform(-0.2, 0.2), gy = rng_.uniform(-0.2, 0.2);
    qpos[m_->nq - 2] = gx;
    qpos[m_->nq - 1] = gy;
  }
  void adjust_reset_velocity(std::vector<double>& qvel) override { qvel[m_->nv - 2] = qvel[m_->nv - 1] = 0; }
  StepResult step_dynamics(const Action& action) override {
    StepResult r;
    r.reward = -fingertip_distance() - sum_squares(action.values);  // before the step, as Gym
    do_simulation(action.values);
    r.obs = observation();
    return r;
  }
  double fingertip_distance() const {
    const double *f = subtree_com(fingertip_), *t = subtree_com(target_);
    return std::sqrt((f[0] - t[0]) * (f[0] - t[0]) + (f[1] - t[1]) * (f[1] - t[1]) + (f[2] - t[2]) * (f[2] - t[2]));
  }
  std::vector<double> observation() const override {
    std::vector<double> o{std::cos(d_->qpos[0]), std::cos(d_->qpos[1]), std::sin(d_->qpos[0]), std::sin(d_->qpos[1])};
    append(o, d_->qpos + 2, d_->qpos + m_->nq);
    append(o, d_->qvel, d_->qvel + 2);
    const double *f = subtree_com(fingertip_), *t = subtree_com(target_);
    for (int k = 0; k < 3; ++k) o.push_back(f[k] - t[k]);
    return o;
  }

 private:
  int fingertip_, target_;
};

}  // namespace

namespace {
template <class T>
std::unique_ptr<Env> make() {
  return std::make_unique<T>();
}
const struct {
  const char* name;
  std::unique_ptr<Env> (*make)();
} kTasks[] = {{"hopper", make<Hopper>},   {"walker2d", make<Walker2d>}, {"halfcheetah", make<HalfCheetah>},
              {"ant", make<Ant>},         {"humanoid", make<Humanoid>}, {"reacher", make<Reacher>}};
}  // namespace

std::unique_ptr<Env> make_mujoco_env(const std::string& name) {
  for (const auto& t : kTasks)
    if (name == t.name) return t.make();
  return nullptr;
}

bool is_mujoco_task(const std::string& name) {
  for (const auto& t : kTasks)
    if (name == t.name) return true;
  return false;
}

}  // namespace lbb::imitation
