// Expert demonstrations (thesis section 2.6): full trajectories sampled from the stochastic
// expert, then subsampled as the thesis' experiments did: from each trajectory one
// state-action pair every `rate` steps (10 for CartPole, 5 for Acrobot and MountainCar, 20 for
// the MuJoCo locomotion tasks, 1 for Reacher),
// starting at a random offset in [0, rate).
//
// File format (`imitate demos --out demos.pt`): a LibTorch serialized archive holding
//   format  string "imitate-demos", version int 1, env string, rate int
//   obs     float64 [M, obs_dim]  the kept states, trajectory by trajectory, in time order
//   actions int64 [M] (discrete) or float64 [M, action_dim]
//   traj    int64 [M]             the trajectory (0-based) each pair comes from
//   step    int64 [M]             its time step within the trajectory
//   returns float64 [K]           the full (unsubsampled) return of each trajectory
//   lengths int64 [K]             the full length of each trajectory
//   info    string                provenance (expert file, seed)
#pragma once

#include <torch/torch.h>

#include <string>

#include "imitation/policy.h"

namespace lbb::imitation {

struct Demonstrations {
  std::string env;
  int64_t rate = 1;
  torch::Tensor obs, actions, traj, step, returns, lengths;  // as in the file
  std::string info;
  int64_t trajectories() const { return returns.numel(); }
  int64_t pairs() const { return obs.size(0); }
  // The pairs of the first k trajectories (k <= trajectories()).
  Demonstrations first(int64_t k) const;
};

// The thesis' subsampling rate of an environment (above).
int64_t default_subsample_rate(const std::string& env);

// Samples `trajectories` full episodes of the expert (actions drawn from the policy, one
// lockstep environment per trajectory) and subsamples each at `rate` from a random offset.
Demonstrations sample_demonstrations(Policy& expert, const std::string& env, int64_t trajectories, int64_t rate,
                                     uint64_t seed);

void save_demonstrations(const std::string& path, const Demonstrations& d);
// Throws lbb::InputError("<path>: <problem>").
Demonstrations load_demonstrations(const std::string& path);

}  // namespace lbb::imitation
