// The MuJoCo tasks of Figure 2.1 (DESIGN.md §10.1) with the semantics of the Gym versions the
// thesis used (Gym's first MuJoCo environments on MuJoCo 1.31), on MuJoCo 2.2.2:
//
//   name          obs  act  frame skip x timestep    limit  reward per step
//   reacher        11    2  2 x 0.01 RK4               50   -|fingertip - target| - sum a^2 (before the step)
//   halfcheetah    17    6  5 x 0.01 Euler           1000   dx/dt - 0.1 sum a^2
//   hopper         11    3  4 x 0.002 RK4            1000   dx/dt + 1 - 1e-3 sum a^2
//   walker2d       17    6  4 x 0.002 RK4            1000   dx/dt + 1 - 1e-3 sum a^2
//   ant           111    8  5 x 0.01 RK4             1000   dx_torso/dt - 0.5 sum a^2 - 0.5e-3 sum clip(cfrc_ext)^2 + 1
//   humanoid      376   17  5 x 0.003 RK4, PGS 50    1000   1.25 dx_com/dt - 0.1 sum clip(a, 0.4)^2 - min(0.5e-6 sum cfrc_ext^2, 10) + 5
//
// Contracts (beyond env.h's):
//  1. An action is written to the controls as given (MuJoCo clamps each control to its range
//     inside the step; the reward's control cost sees the action itself, Humanoid's the
//     clamped one as Gym's read back the clamped controls of MuJoCo 1.31).
//  2. What the rewards and observations read besides qpos and qvel (subtree_com, xipos, cinert,
//     cvel, qfrc_actuator, cfrc_ext) is what the last evaluation inside the step left, as in
//     Gym on MuJoCo 1.31; cfrc_ext comes from mj_rnePostConstraint after each step.
//  3. reset: qpos0 (joint references included) plus the task's noise, then mj_forward; the
//     same seed gives the same episode bit for bit.
#pragma once

#include <mujoco/mujoco.h>

#include <memory>
#include <string>
#include <vector>

#include "imitation/env.h"

namespace lbb::imitation {

class MujocoEnv : public Env {
 public:
  ~MujocoEnv() override;
  const mjModel* model() const { return m_; }
  const mjData* data() const { return d_; }
  std::vector<double> qpos() const { return {d_->qpos, d_->qpos + m_->nq}; }
  std::vector<double> qvel() const { return {d_->qvel, d_->qvel + m_->nv}; }
  int frame_skip() const { return frame_skip_; }
  double dt() const { return m_->opt.timestep * frame_skip_; }
  // Sets the simulator's state (Gym's set_state: qpos, qvel, then mj_forward) and returns the
  // observation of that state; for replaying trajectories and for tests.
  std::vector<double> set_state(const std::vector<double>& qpos, const std::vector<double>& qvel);

 protected:
  // contact_forces: the task reads cfrc_ext (Ant, Humanoid).
  MujocoEnv(EnvSpec spec, const std::string& model_name, int frame_skip, bool contact_forces);
  // ctrl = action, then frame_skip steps; mj_rnePostConstraint after the last (contract 2).
  void do_simulation(const std::vector<double>& action);
  virtual std::vector<double> observation() const = 0;
  // The id of the body `name` (std::logic_error if the model has none); resolve once.
  int body_id(const char* name) const;
  // The body's subtree centre of mass (Gym's get_body_com of that era).
  const double* subtree_com(int body) const { return d_->subtree_com + 3 * body; }
  bool state_finite() const;

  const mjModel* m_;
  mjData* d_;

 private:
  int frame_skip_;
  bool contact_forces_;
};

// Makes the MuJoCo task `name` (the table above), or returns nullptr for another name.
std::unique_ptr<Env> make_mujoco_env(const std::string& name);
// Whether `name` is one of the table's tasks.
bool is_mujoco_task(const std::string& name);

}  // namespace lbb::imitation
