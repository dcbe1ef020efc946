// The environment interface of the imitation experiments (Gym's, reduced to what the thesis
// needs): reset(seed) -> observation; step(action) -> observation, reward, terminated,
// truncated. Everything is double precision.
//
// Contracts:
//  1. reset(seed) reseeds the environment's generator and starts an episode; reset() starts
//     the next episode from the same generator (as Gym's reset() without a seed). The same
//     seed and the same actions give the same observations, bit for bit.
//  2. step() may only be called after a reset and before the episode ended (terminated or
//     truncated); it throws std::logic_error otherwise.
//  3. terminated: the task's own end (failure for CartPole, success for Acrobot and
//     MountainCar). truncated: the time limit (spec().max_episode_steps steps) was reached
//     and the task had not ended; the last observation is then a real state, and
//     a value function may bootstrap from it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imitation/rng.h"

namespace lbb::imitation {

struct EnvSpec {
  std::string name;               // as accepted by make_env
  int64_t obs_dim = 0;
  int64_t num_actions = 0;        // > 0: discrete actions 0..num_actions-1
  int64_t action_dim = 0;         // > 0: continuous actions (exactly one of the two is > 0)
  int64_t max_episode_steps = 0;  // the time limit; > 0
  bool discrete() const { return num_actions > 0; }
};

// One action: `index` for discrete spaces, `values` (size action_dim) for continuous ones.
struct Action {
  int64_t index = 0;
  std::vector<double> values;
};

struct StepResult {
  std::vector<double> obs;  // size spec().obs_dim
  double reward = 0;
  bool terminated = false;
  bool truncated = false;
  bool done() const { return terminated || truncated; }
};

class Env {
 public:
  explicit Env(EnvSpec spec) : spec_(std::move(spec)) {}
  virtual ~Env() = default;
  const EnvSpec& spec() const { return spec_; }

  std::vector<double> reset(uint64_t seed);
  std::vector<double> reset();
  // Applies the dynamics, then the time limit (contract 3).
  StepResult step(const Action& action);
  // The generator of the episodes (saving and restoring a run between episodes).
  Rng& rng() { return rng_; }

 protected:
  // Draws the initial state from rng_ and returns its observation.
  virtual std::vector<double> reset_state() = 0;
  // One step of the dynamics; sets obs, reward and terminated (never truncated).
  virtual StepResult step_dynamics(const Action& action) = 0;
  Rng rng_;

 private:
  EnvSpec spec_;
  int64_t elapsed_ = 0;  // steps taken in the current episode
  bool running_ = false; // reset was called and the episode has not ended
};

// "cartpole" (= "cartpole-v0"), "cartpole-v1", "acrobot", "mountaincar", and the MuJoCo tasks
// "reacher", "halfcheetah", "hopper", "walker2d", "ant", "humanoid" (mujoco_env.h). Throws
// lbb::InputError for any other name.
std::unique_ptr<Env> make_env(const std::string& name);

// The names make_env accepts, for messages.
std::string env_names();

}  // namespace lbb::imitation
