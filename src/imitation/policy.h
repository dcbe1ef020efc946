// Stochastic policies pi(a | s) = Dist(a; f_theta(normalize(s))).
//
// A policy maps normalized observations [B, obs_dim] to distribution parameters [B, P]; the
// distribution functions below take those parameters, so that the TRPO step can hold the old
// parameters fixed (detached) while theta moves. Actions are a tensor: int64 [B] for discrete
// policies, float64 [B, action_dim] for continuous ones. All float64.
//
//  SoftmaxPolicy:  params = log pi(. | s) = log_softmax(MLP(z)), P = num_actions.
//  GaussianPolicy: params = (mean, log_std) with mean = MLP(z) and log_std a learned vector
//                  independent of the state, P = 2 action_dim.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "imitation/env.h"
#include "imitation/mlp.h"
#include "imitation/obs_normalizer.h"
#include "imitation/rng.h"

namespace lbb::imitation {

class Policy : public torch::nn::Module {
 public:
  ObsNormalizer normalizer;  // applied by act(); trainers update it between iterations

  virtual std::string kind() const = 0;  // "softmax" or "gaussian"
  virtual torch::Tensor params(const torch::Tensor& obs_normalized) = 0;
  virtual torch::Tensor log_prob(const torch::Tensor& params, const torch::Tensor& actions) const = 0;  // [B]
  // KL(old || new) per state, [B].
  virtual torch::Tensor kl(const torch::Tensor& old_params, const torch::Tensor& new_params) const = 0;
  virtual torch::Tensor entropy(const torch::Tensor& params) const = 0;  // [B]
  // One action per row: sampled from rng (in row order), or the most likely one.
  virtual torch::Tensor sample(const torch::Tensor& params, Rng& rng) const = 0;
  virtual torch::Tensor mode(const torch::Tensor& params) const = 0;
  virtual Mlp& net() = 0;

  // Actions for raw observations [B, obs_dim] (no gradient).
  torch::Tensor act(const torch::Tensor& obs, Rng& rng, bool deterministic);
  // The tensor of actions as env actions (row i -> Action for environment i).
  virtual std::vector<Action> to_env_actions(const torch::Tensor& actions) const = 0;
};

class SoftmaxPolicy : public Policy {
 public:
  SoftmaxPolicy(int64_t obs_dim, int64_t num_actions, const std::vector<int64_t>& hidden, Rng& rng);
  std::string kind() const override { return "softmax"; }
  torch::Tensor params(const torch::Tensor& obs_normalized) override;
  torch::Tensor log_prob(const torch::Tensor& params, const torch::Tensor& actions) const override;
  torch::Tensor kl(const torch::Tensor& old_params, const torch::Tensor& new_params) const override;
  torch::Tensor entropy(const torch::Tensor& params) const override;
  // Inverse CDF of one uniform per row: the first a with u < sum_{b <= a} pi(b).
  torch::Tensor sample(const torch::Tensor& params, Rng& rng) const override;
  torch::Tensor mode(const torch::Tensor& params) const override;  // argmax, lowest index on ties
  std::vector<Action> to_env_actions(const torch::Tensor& actions) const override;
  Mlp& net() override { return net_; }

 private:
  Mlp net_;
};

class GaussianPolicy : public Policy {
 public:
  // log_std starts at init_log_std for every action dimension.
  GaussianPolicy(int64_t obs_dim, int64_t action_dim, const std::vector<int64_t>& hidden, Rng& rng,
                 double init_log_std = 0.0);
  std::string kind() const override { return "gaussian"; }
  torch::Tensor params(const torch::Tensor& obs_normalized) override;
  torch::Tensor log_prob(const torch::Tensor& params, const torch::Tensor& actions) const override;
  torch::Tensor kl(const torch::Tensor& old_params, const torch::Tensor& new_params) const override;
  torch::Tensor entropy(const torch::Tensor& params) const override;
  torch::Tensor sample(const torch::Tensor& params, Rng& rng) const override;  // mean + std * N(0, 1), row-major
  torch::Tensor mode(const torch::Tensor& params) const override;             // the mean
  std::vector<Action> to_env_actions(const torch::Tensor& actions) const override;
  Mlp& net() override { return net_; }

 private:
  int64_t action_dim_;
  Mlp net_;
  torch::Tensor log_std_;  // [action_dim], a parameter
};

// The policy of the thesis' architecture for an environment: softmax for discrete actions,
// Gaussian for continuous ones; hidden = {100, 100} by default.
std::shared_ptr<Policy> make_policy(const EnvSpec& spec, Rng& rng, const std::vector<int64_t>& hidden = {100, 100});

}  // namespace lbb::imitation
