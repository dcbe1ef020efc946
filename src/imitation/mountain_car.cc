#include "imitation/mountain_car.h"

#include <algorithm>
#include <cmath>

namespace lbb::imitation {

MountainCar::MountainCar() : Env(EnvSpec{"mountaincar", 2, 3, 0, 200}) {}

std::vector<double> MountainCar::reset_state() {
  s_ = {rng_.uniform(kResetLow, kResetHigh), 0.0};
  return {s_[0], s_[1]};
}

StepResult MountainCar::step_dynamics(const Action& action) {
  double position = s_[0], velocity = s_[1];
  // v' = clip(v + (a - 1) F - g cos(3 x)),  x' = clip(x + v'); a stop at the left wall.
  velocity += static_cast<double>(action.index - 1) * kForce + std::cos(3 * position) * (-kGravity);
  velocity = std::clamp(velocity, -kMaxSpeed, kMaxSpeed);
  position += velocity;
  position = std::clamp(position, kMinPosition, kMaxPosition);
  if (position == kMinPosition && velocity < 0) velocity = 0;
  s_ = {position, velocity};
  StepResult r;
  r.obs = {position, velocity};
  r.terminated = position >= kGoalPosition && velocity >= kGoalVelocity;
  r.reward = -1.0;
  return r;
}

}  // namespace lbb::imitation
