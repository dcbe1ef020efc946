// State-value baseline V(s) for GAE: an MLP on normalized observations (2 x 100 tanh, as the
// thesis' networks), refitted every iteration to the lambda-returns of the latest batch by
// full-batch L-BFGS (25 iterations, strong-Wolfe line search) on
//   mean (V(z) - target)^2 + l2 |w|^2,
// as modular_rl's value function (Schulman et al.'s TRPO code) is fitted.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "imitation/mlp.h"
#include "imitation/rng.h"

namespace lbb::imitation {

struct ValueFitOptions {
  int64_t iterations = 25;
  double l2 = 1e-3;
  // Fit on every stride-th state of the batch (the MuJoCo batches of 50,000 steps: 5, so the
  // fit costs what a 10,000-step batch's does); the reported error is over all of them.
  int64_t stride = 1;
};

class ValueFunction {
 public:
  ValueFunction(int64_t obs_dim, const std::vector<int64_t>& hidden, Rng& rng);
  // V of normalized observations [B, obs_dim] -> [B] (no gradient).
  torch::Tensor predict(const torch::Tensor& obs_normalized);
  // Returns the mean squared error after the fit.
  double fit(const torch::Tensor& obs_normalized, const torch::Tensor& targets, const ValueFitOptions& options = {});
  Mlp& net() { return net_; }

 private:
  Mlp net_;
};

}  // namespace lbb::imitation
