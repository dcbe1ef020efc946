// Sampling a policy in N lockstep environments: T steps of each per call, time-major
// ([T, N] -> row t * N + i). Episodes run on across calls (an episode cut by the end of a
// segment continues in the next one), so every call yields exactly T * N steps.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
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

// Sampling whole episodes, as the author's pipeline did for the MuJoCo tasks: N environments in
// lockstep, each starting a new episode (from its own generator) while the steps collected in
// this call (every environment's, the current round's included) are fewer than min_steps, so a
// call yields whole episodes of >= min_steps steps in all: 50 environments and 1000-step
// episodes give exactly 50 episodes. The Rollout is laid out as one environment (N = 1, T = total steps): the episodes one
// after another, in the order they ended (ties by environment index), each closed by its
// terminated or truncated flag. Between calls the environments hold no episode, so the
// sampler's whole state is its generators (state() / set_state(): resuming a run).
class EpisodeSampler {
 public:
  EpisodeSampler(const std::string& env, int64_t num_envs, uint64_t seed);
  Rollout sample(Policy& policy, int64_t min_steps, bool deterministic = false);
  const EnvSpec& spec() const { return envs_[0]->spec(); }
  std::string state() const;
  void set_state(const std::string& state);  // throws lbb::InputError if malformed

 private:
  std::vector<std::unique_ptr<Env>> envs_;
  Rng rng_;  // action sampling
};

// The returns of `episodes` full episodes of the policy, run as `episodes` lockstep environments
// (each contributes its first episode). deterministic: the most likely action (the thesis
// evaluates learned policies this way); otherwise sampled from the policy.
std::vector<double> evaluate_policy(Policy& policy, const std::string& env, int64_t episodes, uint64_t seed,
                                    bool deterministic);

}  // namespace lbb::imitation
