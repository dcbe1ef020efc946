#include "imitation/acrobot.h"

#include <algorithm>
#include <cmath>

namespace lbb::imitation {

namespace {

// Gym's wrap(x, m, M): shift by M - m until x lies in [m, M].
double wrap(double x, double m, double M) {
  const double diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

std::array<double, 4> axpy(const std::array<double, 4>& y, double h, const std::array<double, 4>& k) {
  return {y[0] + h * k[0], y[1] + h * k[1], y[2] + h * k[2], y[3] + h * k[3]};
}

}  // namespace

Acrobot::Acrobot() : Env(EnvSpec{"acrobot", 6, 3, 0, 200}) {}

std::vector<double> Acrobot::reset_state() {
  for (double& v : s_) v = rng_.uniform(-kResetRange, kResetRange);
  return observation();
}

std::vector<double> Acrobot::observation() const {
  return {std::cos(s_[0]), std::sin(s_[0]), std::cos(s_[1]), std::sin(s_[1]), s_[2], s_[3]};
}

std::array<double, 4> Acrobot::derivatives(const std::array<double, 4>& s, double a) {
  constexpr double m1 = kLinkMass1, m2 = kLinkMass2, l1 = kLinkLength1, lc1 = kLinkComPos1, lc2 = kLinkComPos2;
  constexpr double I1 = kLinkMoi, I2 = kLinkMoi, g = kGravity;
  const double theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3];
  // Sutton & Barto's acrobot equations (Gym's _dsdt, in the same order of operations):
  //   d1 = m1 lc1^2 + m2 (l1^2 + lc2^2 + 2 l1 lc2 cos th2) + I1 + I2
  //   d2 = m2 (lc2^2 + l1 lc2 cos th2) + I2
  //   phi2 = m2 lc2 g cos(th1 + th2 - pi/2)
  //   phi1 = -m2 l1 lc2 dth2^2 sin th2 - 2 m2 l1 lc2 dth2 dth1 sin th2 + (m1 lc1 + m2 l1) g cos(th1 - pi/2) + phi2
  //   ddth2 = (a + d2/d1 phi1 - m2 l1 lc2 dth1^2 sin th2 - phi2) / (m2 lc2^2 + I2 - d2^2/d1)
  //   ddth1 = -(d2 ddth2 + phi1) / d1
  const double d1 = m1 * (lc1 * lc1) + m2 * ((l1 * l1) + (lc2 * lc2) + 2 * l1 * lc2 * std::cos(theta2)) + I1 + I2;
  const double d2 = m2 * ((lc2 * lc2) + l1 * lc2 * std::cos(theta2)) + I2;
  const double phi2 = m2 * lc2 * g * std::cos(theta1 + theta2 - M_PI / 2.0);
  const double phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * std::sin(theta2) -
                      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * std::sin(theta2) +
                      (m1 * lc1 + m2 * l1) * g * std::cos(theta1 - M_PI / 2) + phi2;
  const double ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * std::sin(theta2) - phi2) /
                          (m2 * (lc2 * lc2) + I2 - (d2 * d2) / d1);
  const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  return {dtheta1, dtheta2, ddtheta1, ddtheta2};
}

StepResult Acrobot::step_dynamics(const Action& action) {
  const double torque = static_cast<double>(action.index - 1);  // Gym's AVAIL_TORQUE = [-1, 0, +1]
  // One classical RK4 step over [0, dt] (Gym's rk4 with t = [0, dt]); the torque is constant.
  const double h = kDt, h2 = kDt / 2;
  const std::array<double, 4> k1 = derivatives(s_, torque);
  const std::array<double, 4> k2 = derivatives(axpy(s_, h2, k1), torque);
  const std::array<double, 4> k3 = derivatives(axpy(s_, h2, k2), torque);
  const std::array<double, 4> k4 = derivatives(axpy(s_, h, k3), torque);
  std::array<double, 4> ns;
  for (int i = 0; i < 4; ++i) ns[i] = s_[i] + h / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  ns[0] = wrap(ns[0], -M_PI, M_PI);
  ns[1] = wrap(ns[1], -M_PI, M_PI);
  ns[2] = std::clamp(ns[2], -kMaxVel1, kMaxVel1);
  ns[3] = std::clamp(ns[3], -kMaxVel2, kMaxVel2);
  s_ = ns;
  StepResult r;
  r.obs = observation();
  r.terminated = -std::cos(s_[0]) - std::cos(s_[1] + s_[0]) > 1.0;
  r.reward = r.terminated ? 0.0 : -1.0;
  return r;
}

}  // namespace lbb::imitation
