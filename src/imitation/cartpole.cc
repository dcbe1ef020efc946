#include "imitation/cartpole.h"

#include <cmath>

namespace lbb::imitation {

CartPole::CartPole(int64_t max_episode_steps)
    : Env(EnvSpec{max_episode_steps == 200 ? "cartpole" : "cartpole-v1", 4, 2, 0, max_episode_steps}) {}

std::vector<double> CartPole::reset_state() {
  for (double& v : s_) v = rng_.uniform(-kResetRange, kResetRange);
  return {s_.begin(), s_.end()};
}

StepResult CartPole::step_dynamics(const Action& action) {
  const auto [x, x_dot, theta, theta_dot] = s_;
  const double force = action.index == 1 ? kForceMag : -kForceMag;
  const double costheta = std::cos(theta), sintheta = std::sin(theta);
  // Florian's corrected equations of motion (frictionless), as Gym evaluates them:
  //   temp     = (F + m_p l theta_dot^2 sin(theta)) / M
  //   theta_dd = (g sin(theta) - cos(theta) temp) / (l (4/3 - m_p cos^2(theta) / M))
  //   x_dd     = temp - m_p l theta_dd cos(theta) / M
  const double temp = (force + kPoleMassLength * (theta_dot * theta_dot) * sintheta) / kTotalMass;
  const double thetaacc =
      (kGravity * sintheta - costheta * temp) / (kLength * (4.0 / 3.0 - kMassPole * (costheta * costheta) / kTotalMass));
  const double xacc = temp - kPoleMassLength * thetaacc * costheta / kTotalMass;
  // (Squares are parenthesized as Python's x**2, so that every rounding matches Gym's.)
  // Explicit Euler (Gym's kinematics_integrator "euler"): positions use the old velocities.
  s_ = {x + kTau * x_dot, x_dot + kTau * xacc, theta + kTau * theta_dot, theta_dot + kTau * thetaacc};
  StepResult r;
  r.obs.assign(s_.begin(), s_.end());
  r.terminated = s_[0] < -kXThreshold || s_[0] > kXThreshold || s_[2] < -kThetaThreshold || s_[2] > kThetaThreshold;
  r.reward = 1.0;
  return r;
}

}  // namespace lbb::imitation
