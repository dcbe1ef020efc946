// CartPole as in Gym's classic_control/cartpole.py (Barto, Sutton & Anderson 1983): a pole
// hinged on a cart; push the cart left (action 0) or right (action 1) with 10 N. Reward 1
// per step, including the step that ends the episode; the episode terminates when the pole
// leans past 12 degrees or the cart leaves [-2.4, 2.4]. CartPole-v0 has a 200-step limit
// (the thesis' task, "solved" at an average return of 195), CartPole-v1 500.
// Observation: (x, x_dot, theta, theta_dot), theta = 0 upright, positive to the right.
#pragma once

#include <array>

#include "imitation/env.h"

namespace lbb::imitation {

class CartPole : public Env {
 public:
  // Gym's constants (SI units).
  static constexpr double kGravity = 9.8;
  static constexpr double kMassCart = 1.0;
  static constexpr double kMassPole = 0.1;
  static constexpr double kTotalMass = kMassCart + kMassPole;
  static constexpr double kLength = 0.5;  // half the pole's length
  static constexpr double kPoleMassLength = kMassPole * kLength;
  static constexpr double kForceMag = 10.0;
  static constexpr double kTau = 0.02;  // seconds between state updates (Euler step)
  static constexpr double kThetaThreshold = 12 * 2 * M_PI / 360;  // radians
  static constexpr double kXThreshold = 2.4;
  static constexpr double kResetRange = 0.05;  // every state variable ~ U(-0.05, 0.05)

  // max_episode_steps 200 -> "cartpole" (v0), 500 -> "cartpole-v1".
  explicit CartPole(int64_t max_episode_steps);
  // Sets the state of a running episode (tests, hand-checked dynamics).
  void set_state(const std::array<double, 4>& s) { s_ = s; }
  const std::array<double, 4>& state() const { return s_; }

 protected:
  std::vector<double> reset_state() override;
  StepResult step_dynamics(const Action& action) override;

 private:
  std::array<double, 4> s_{};  // x, x_dot, theta, theta_dot
};

}  // namespace lbb::imitation
