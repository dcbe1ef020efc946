// Acrobot as in Gym's classic_control/acrobot.py (Sutton 1996; dynamics from Sutton & Barto,
// "Reinforcement Learning: An Introduction", the "book" variant): two links, the joint
// between them actuated with torque -1, 0 or +1 (actions 0, 1, 2). Reward -1 per step, 0 on
// the step that reaches the goal; the episode terminates when the tip is more than one link
// length above the base: -cos(theta1) - cos(theta1 + theta2) > 1. One step integrates
// 0.2 s with a single classical Runge-Kutta (RK4) step. Time limit 200 steps, as the thesis'
// Gym version had (Gym's later Acrobot-v1 allows 500).
// Observation: (cos theta1, sin theta1, cos theta2, sin theta2, theta1_dot, theta2_dot).
#pragma once

#include <array>

#include "imitation/env.h"

namespace lbb::imitation {

class Acrobot : public Env {
 public:
  // Gym's constants.
  static constexpr double kDt = 0.2;
  static constexpr double kLinkLength1 = 1.0;  // [m]
  static constexpr double kLinkMass1 = 1.0;    // [kg]
  static constexpr double kLinkMass2 = 1.0;
  static constexpr double kLinkComPos1 = 0.5;  // [m] position of the centre of mass
  static constexpr double kLinkComPos2 = 0.5;
  static constexpr double kLinkMoi = 1.0;      // moment of inertia of both links
  static constexpr double kGravity = 9.8;
  static constexpr double kMaxVel1 = 4 * M_PI;
  static constexpr double kMaxVel2 = 9 * M_PI;
  static constexpr double kResetRange = 0.1;  // every state variable ~ U(-0.1, 0.1)

  Acrobot();
  void set_state(const std::array<double, 4>& s) { s_ = s; }
  const std::array<double, 4>& state() const { return s_; }
  // d/dt of (theta1, theta2, dtheta1, dtheta2) under torque `a` (Gym's _dsdt, "book").
  static std::array<double, 4> derivatives(const std::array<double, 4>& s, double a);

 protected:
  std::vector<double> reset_state() override;
  StepResult step_dynamics(const Action& action) override;

 private:
  std::vector<double> observation() const;
  std::array<double, 4> s_{};  // theta1, theta2, dtheta1, dtheta2
};

}  // namespace lbb::imitation
