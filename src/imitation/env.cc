#include "imitation/env.h"

#include <stdexcept>

#include "imitation/acrobot.h"
#include "imitation/cartpole.h"
#include "imitation/mountain_car.h"
#include "imitation/mujoco_env.h"
#include "common/errors.h"

namespace lbb::imitation {

std::vector<double> Env::reset(uint64_t seed) {
  rng_.seed(seed);
  return reset();
}

std::vector<double> Env::reset() {
  elapsed_ = 0;
  running_ = true;
  return reset_state();
}

StepResult Env::step(const Action& action) {
  if (!running_) throw std::logic_error(spec_.name + ": step() without a running episode (call reset first)");
  if (spec_.discrete() && (action.index < 0 || action.index >= spec_.num_actions))
    throw std::invalid_argument(spec_.name + ": action " + std::to_string(action.index) + " out of range");
  if (!spec_.discrete() && static_cast<int64_t>(action.values.size()) != spec_.action_dim)
    throw std::invalid_argument(spec_.name + ": action of the wrong size");
  StepResult r = step_dynamics(action);
  ++elapsed_;
  // Gym's TimeLimit: truncated only if the task itself did not end on this step.
  r.truncated = !r.terminated && elapsed_ >= spec_.max_episode_steps;
  running_ = !r.done();
  return r;
}

std::unique_ptr<Env> make_env(const std::string& name) {
  if (name == "cartpole" || name == "cartpole-v0") return std::make_unique<CartPole>(200);
  if (name == "cartpole-v1") return std::make_unique<CartPole>(500);
  if (name == "acrobot") return std::make_unique<Acrobot>();
  if (name == "mountaincar") return std::make_unique<MountainCar>();
  if (auto env = make_mujoco_env(name)) return env;
  throw InputError("unknown environment '" + name + "' (known: " + env_names() + ")");
}

std::string env_names() {
  return "cartpole, cartpole-v1, acrobot, mountaincar, reacher, halfcheetah, hopper, walker2d, ant, humanoid";
}

}  // namespace lbb::imitation
