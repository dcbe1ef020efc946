// MountainCar as in Gym's classic_control/mountain_car.py (Moore 1990; Sutton & Barto): an
// under-powered car in a valley must rock back and forth to reach the flag at x = 0.5.
// Actions: 0 push left, 1 no push, 2 push right. Reward -1 per step; the episode terminates
// when position >= 0.5 (with velocity >= 0). Time limit 200 steps (MountainCar-v0).
// Observation: (position, velocity).
#pragma once

#include <array>

#include "imitation/env.h"

namespace lbb::imitation {

class MountainCar : public Env {
 public:
  // Gym's constants.
  static constexpr double kMinPosition = -1.2;
  static constexpr double kMaxPosition = 0.6;
  static constexpr double kMaxSpeed = 0.07;
  static constexpr double kGoalPosition = 0.5;
  static constexpr double kGoalVelocity = 0.0;
  static constexpr double kForce = 0.001;
  static constexpr double kGravity = 0.0025;
  static constexpr double kResetLow = -0.6, kResetHigh = -0.4;  // position ~ U(-0.6, -0.4), velocity 0

  MountainCar();
  void set_state(const std::array<double, 2>& s) { s_ = s; }
  const std::array<double, 2>& state() const { return s_; }

 protected:
  std::vector<double> reset_state() override;
  StepResult step_dynamics(const Action& action) override;

 private:
  std::array<double, 2> s_{};  // position, velocity
};

}  // namespace lbb::imitation
