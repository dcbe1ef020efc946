// Sampling a policy in N lockstep environments: T steps of each per call, time-major
// ([T, N] -> row t * N + i). Episodes run on across calls (an episode cut by the end of a
// segment continues in the next one), so every call yields exactly T * N steps.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "imitation/policy.h"
#include "imitation/vec_env.h"

namespace lbb::imitation {

struct Rollout {
  int64_t T = 0, N = 0;
  torch::Tensor obs;       // [T*N, obs_dim] float64, raw observations acted on
  torch::Tensor next_obs;  // [T*N, obs_dim]: s_{t+1} of each step, before any reset
  torch::Tensor actions;   // [T*N] int64 (discrete) or [T*N, action_dim] float64
  std::vector<double> rewards;                // [T*N] the environment's rewards
  std::vector<uint8_t> terminated, truncated; // [T*N]
  // Episodes that ended during this call (their returns count steps of earlier calls too).
  std::vector<double> episode_returns;
  std::vector<int64_t> episode_lengths;
  double mean_episode_return() const;  // NaN if no episode ended
};

class Sampler {
 public:
  Sampler(const std::string& env, int64_t num_envs, uint64_t seed);
  // T lockstep steps of every environment with actions drawn from policy (or its mode).
  Rollout sample(Policy& policy, int64_t T, bool deterministic = false);
  const EnvSpec& spec() const { return envs_.spec(); }
  int64_t num_envs() const { return envs_.size(); }

 private:
  VecEnv envs_;
  Rng rng_;                              // action sampling
  std::vector<double> running_return_;   // per environment, of its current episode
  std::vector<int64_t> running_length_;
};

// The returns of `episodes` full episodes of the policy, run as `episodes` lockstep environments
// (each contributes its first episode). deterministic: the most likely action (the thesis
// evaluates learned policies this way); otherwise sampled from the policy.
std::vector<double> evaluate_policy(Policy& policy, const std::string& env, int64_t episodes, uint64_t seed,
                                    bool deterministic);

}  // namespace lbb::imitation
