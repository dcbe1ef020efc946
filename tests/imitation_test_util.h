// Fixtures shared by the imitation tests: a known CartPole controller and demonstrations of
// it made by hand (not by sample_demonstrations, which some of the tests check).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "imitation/demonstrations.h"
#include "imitation/env.h"

namespace lbb::imitation::test {

// A known CartPole controller: push right when theta + theta_dot > 0. It balances for the
// whole 200 steps from Gym's initial states.
inline int64_t rule(const double* s) { return s[2] + s[3] > 0 ? 1 : 0; }

// K full CartPole episodes of the rule (reset seeds seed, seed + 1, ...), every `rate`-th
// pair from offset 0 (a Demonstrations by hand).
inline Demonstrations rule_demos(int64_t K, int64_t rate, uint64_t seed) {
  std::vector<double> obs, returns;
  std::vector<int64_t> act, traj, step, lengths;
  for (int64_t k = 0; k < K; ++k) {
    auto env = make_env("cartpole");
    std::vector<double> o = env->reset(seed + k);
    double ret = 0;
    for (int64_t t = 0;; ++t) {
      Action a;
      a.index = rule(o.data());
      if (t % rate == 0) {
        obs.insert(obs.end(), o.begin(), o.end());
        act.push_back(a.index);
        traj.push_back(k);
        step.push_back(t);
      }
      const StepResult r = env->step(a);
      ret += r.reward;
      o = r.obs;
      if (r.done()) {
        lengths.push_back(t + 1);
        break;
      }
    }
    returns.push_back(ret);
  }
  Demonstrations d;
  d.env = "cartpole";
  d.rate = rate;
  d.obs = torch::tensor(obs, torch::kFloat64).view({-1, 4});
  d.actions = torch::tensor(act, torch::kInt64);
  d.traj = torch::tensor(traj, torch::kInt64);
  d.step = torch::tensor(step, torch::kInt64);
  d.returns = torch::tensor(returns, torch::kFloat64);
  d.lengths = torch::tensor(lengths, torch::kInt64);
  return d;
}

}  // namespace lbb::imitation::test
