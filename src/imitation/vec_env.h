// N environments of one kind stepped in lockstep, so that a policy runs on all N
// observations in one batched call. Each environment resets itself when its episode ends
// (the observation returned for it is then the first of the next episode; the last one of
// the ended episode is kept in final_obs).
//
// Seeding: environment i is reset with seed mix_seed(seed) + i once, then continues its own
// generator (Env contract 1), so a VecEnv seed fixes every episode of every environment.
#pragma once

#include <memory>
#include <vector>

#include "imitation/env.h"

namespace lbb::imitation {

struct VecStep {
  std::vector<double> obs;        // [n, obs_dim] row-major: observations to act on next
  std::vector<double> final_obs;  // [n, obs_dim]: the step's own next observation (before any reset)
  std::vector<double> reward;     // [n]
  std::vector<uint8_t> terminated, truncated;  // [n], 0 or 1
};

class VecEnv {
 public:
  VecEnv(const std::string& name, int64_t n, uint64_t seed);
  int64_t size() const { return static_cast<int64_t>(envs_.size()); }
  const EnvSpec& spec() const { return envs_[0]->spec(); }
  // Observations of the running episodes, [n, obs_dim].
  const std::vector<double>& obs() const { return obs_; }
  // Steps every environment with actions[i]; actions.size() == size().
  VecStep step(const std::vector<Action>& actions);

 private:
  std::vector<std::unique_ptr<Env>> envs_;
  std::vector<double> obs_;  // invariant: size() * obs_dim, the current observations
};

}  // namespace lbb::imitation
