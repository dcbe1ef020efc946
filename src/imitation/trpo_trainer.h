// Reinforcement learning by TRPO with a GAE baseline: the loop that trains experts on the
// true reward, and (with a reward function supplied per iteration) FEM, GTAL and GAIL.
//
// One iteration:
//   1. sample T steps of each of N lockstep environments with the stochastic policy;
//   2. update the observation normalizer with the batch's states (so theta_old below and
//      the KL bound of step 5 both use the new statistics);
//   3. rewards: the environment's, or reward_fn(rollout) (GAIL: from the discriminator);
//   4. advantages by GAE (gamma 0.995, lambda 0.97) with the current value function,
//      standardized to mean 0 and variance 1 over the batch;
//   5. one TRPO step (trpo.h);
//   6. refit the value function to the lambda-returns A_t + V(s_t) (value_function.h).
// Seeds: the run's seed fixes the network initialization, every environment episode and
// every sampled action (one thread, DESIGN.md §10): the same seed gives the same run.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "imitation/gae.h"
#include "imitation/policy.h"
#include "imitation/rollout.h"
#include "imitation/trpo.h"
#include "imitation/value_function.h"

namespace lbb::imitation {

struct TrpoTrainerOptions {
  std::string env = "cartpole";
  uint64_t seed = 0;
  int64_t num_envs = 25;       // N lockstep environments
  int64_t steps_per_env = 200; // T: N * T = 5000 environment steps per iteration
  // > 0: each iteration samples whole episodes of at least this many steps in all (the
  // author's MuJoCo batches: 50,000), with num_envs lockstep environments; steps_per_env is
  // then unused. Only such runs can be checkpointed (no episode spans two iterations).
  int64_t episode_batch_steps = 0;
  std::vector<int64_t> hidden{100, 100};
  GaeOptions gae;
  TrpoOptions trpo;
  ValueFitOptions value_fit;
};

// Episode batches of `steps` (> 0; the author's MuJoCo batches: 50,000) with the Fisher
// products and the value fit on every 5th state of them; steps == 0 keeps fixed-length batches.
inline void set_episode_batches(TrpoTrainerOptions& options, int64_t steps) {
  options.episode_batch_steps = steps;
  if (steps > 0) options.trpo.fisher_stride = options.value_fit.stride = 5;
}

struct IterationStats {
  int64_t iteration = 0;       // 1-based
  int64_t env_steps = 0;       // total so far
  int64_t episodes = 0;        // ended in this iteration
  double mean_return = 0;      // of those episodes, true environment reward (NaN if none)
  double mean_length = 0;
  TrpoStepStats step;
  double value_mse = 0;        // after the fit
  double seconds = 0;          // of this iteration: sampling (simulation and acting), the
  double sample_seconds = 0, policy_seconds = 0, value_seconds = 0;  // TRPO step, the value fit
};

// Rewards for a rollout ([T*N], time-major), replacing the environment's.
using RewardFn = std::function<std::vector<double>(const Rollout&)>;

class TrpoTrainer {
 public:
  explicit TrpoTrainer(const TrpoTrainerOptions& options);
  IterationStats iterate(const RewardFn& reward_fn = {});
  Policy& policy() { return *policy_; }
  std::shared_ptr<Policy> policy_ptr() { return policy_; }
  ValueFunction& value() { return *value_; }
  int64_t iteration() const { return iteration_; }
  int64_t env_steps() const { return env_steps_; }

  // The whole state between iterations (networks, normalizer, generators, counters), so that a
  // run restored from it continues bit for bit as if never stopped. Needs episode_batch_steps.
  void save_state(torch::serialize::OutputArchive& ar);
  void load_state(torch::serialize::InputArchive& ar);  // throws lbb::InputError

 private:
  Rollout sample();
  TrpoTrainerOptions options_;
  Rng init_rng_;
  std::shared_ptr<Policy> policy_;
  std::unique_ptr<ValueFunction> value_;
  std::unique_ptr<Sampler> sampler_;              // episode_batch_steps == 0
  std::unique_ptr<EpisodeSampler> episodes_;      // episode_batch_steps > 0
  int64_t iteration_ = 0, env_steps_ = 0;
};

}  // namespace lbb::imitation
