// The GAIL discriminator (thesis section 2.5, Algorithm 2.1 line 4), written with
// D(s, a) = P(expert | s, a) = sigmoid(l(s, a)), l an MLP (2 x 100 tanh) on the
// standardized state (statistics of the expert data, fixed) and the one-hot action
// (discrete) or the action itself (continuous). The thesis' D is the probability of the
// *policy*, 1 - D here; eq. (2.26) then reads: maximize
//   mean_expert log D(s, a) + mean_policy log(1 - D(s, a)),
// one Adam step per iteration on the whole policy batch against as many expert pairs
// (drawn with replacement).
//
// Rewards for the policy step (the thesis' cost log D_thesis = log(1 - D)):
//   kSurvival: r = -log(1 - D) = softplus(l) > 0, exactly the thesis' cost negated; every
//              step earns a positive reward, so it favours long episodes: right for tasks
//              that end on failure (CartPole).
//   kGoal:     r = log D = -softplus(-l) < 0; every step costs, so it favours ending early:
//              right for tasks that end on success (Acrobot, MountainCar), where a positive
//              reward would teach the policy to avoid the goal.
// Both have the same optimum (the expert's occupancy measure) when D is optimal.
#pragma once

#include <torch/torch.h>

#include <string>

#include "imitation/mlp.h"
#include "imitation/obs_normalizer.h"

namespace lbb::imitation {

enum class GailReward { kSurvival, kGoal };

// kSurvival for CartPole, kGoal for Acrobot and MountainCar.
GailReward default_gail_reward(const std::string& env);

class Discriminator {
 public:
  // entropy: the weight of the mean Bernoulli entropy subtracted from the loss (0: none).
  Discriminator(int64_t obs_dim, int64_t num_actions, int64_t action_dim, const torch::Tensor& expert_obs,
                const std::vector<int64_t>& hidden, Rng& rng, double lr, double entropy = 0.0);
  // The logit l(s, a) of P(expert | s, a), [B].
  torch::Tensor logits(const torch::Tensor& obs, const torch::Tensor& actions);
  // One Adam step on the binary cross-entropy; returns the loss before the step.
  double step(const torch::Tensor& policy_obs, const torch::Tensor& policy_actions, const torch::Tensor& expert_obs,
              const torch::Tensor& expert_actions);
  // Rewards of state-action pairs (no gradient), [B].
  torch::Tensor reward(const torch::Tensor& obs, const torch::Tensor& actions, GailReward kind);
  Mlp& net() { return net_; }
  // The network and its Adam moments (resuming a run).
  void save_state(torch::serialize::OutputArchive& ar);
  void load_state(torch::serialize::InputArchive& ar);

 private:
  torch::Tensor features(const torch::Tensor& obs, const torch::Tensor& actions) const;
  int64_t num_actions_, action_dim_;
  ObsNormalizer normalizer_;  // expert statistics, fixed
  Mlp net_;
  std::unique_ptr<torch::optim::Adam> adam_;
  double entropy_;
};

}  // namespace lbb::imitation
