// Apprenticeship learning with TRPO (thesis section 2.4): the FEM and GTAL baselines of
// section 2.6, "the algorithm of Ho et al. [37]" with the cost classes of eq. (2.19),
//   C_linear = { sum_i w_i f_i : ||w||_2 <= 1 }                 (FEM, Abbeel & Ng [1])
//   C_convex = { sum_i w_i f_i : sum_i w_i = 1, w_i >= 0 }      (GTAL, Syed & Schapire [97]).
// The objective is eq. (2.18), minimize_pi max_{c in C} E_pi[c] - E_piE[c]; its policy
// gradient (eq. 2.21) is the policy gradient of RL with the cost c* = argmax_c E_pi[c] - E_E[c].
// Each iteration (section 2.4.3, steps 1 and 2):
//   1. sample the policy (the TRPO trainer's batch) and fit the cost on it:
//      mu_pi = mean over the batch of f(s, a), mu_E = mean over the expert pairs, and
//      FEM:  w = (mu_pi - mu_E) / ||mu_pi - mu_E||_2, the maximizer over the l2 ball, so that
//            max_{c in C_linear} E_pi[c] - E_E[c] = ||mu_pi - mu_E||_2 (section 2.4.1);
//            with `projection`, Abbeel & Ng's projection method instead: w = mu_bar - mu_E
//            (normalized), mu_bar the projection of mu_E on the line through the previous
//            mu_bar and mu_pi (Abbeel & Ng 2004, section 3.1, eqs. for mu_bar^(i)).
//      GTAL: multiplicative weights over the features (Syed & Schapire's MWAL): the cost
//            player's weights W_i <- W_i * exp(eta * clip(mu_pi,i - mu_E,i, -1, 1)),
//            w = W / sum W, a no-regret approach to the simplex's best response
//            argmax_i mu_pi,i - mu_E,i (= max over C_convex, section 2.4.1). eta defaults
//            to MWAL's log(1 + sqrt(2 ln d / T)) for T = `iterations`.
//   2. one TRPO step with the reward -c(s, a) = -w . f(s, a) / d (GAE and value fit as for
//      the experts), with the causal entropy weight lambda (eq. 2.20) as TRPO's entropy_coef.
//
// Features. The thesis gives only the form f(s, a) = [f_1(s, a), ..., f_d(s, a)] (section
// 2.4.1) and refers to [36] for the pipeline; we use that pipeline's features for discrete
// actions: with z the state standardized by the expert data's statistics (fixed),
//   f(s, a) = [ 1{a = 0} g(z), ..., 1{a = A-1} g(z), 1 ],   g(z) = [z, (0.01 z)^2],
// d = 2 A obs_dim + 1; GTAL uses [f, -f] (2d features), so that the simplex over them
// covers costs of both signs. (Continuous actions: [z, u, (0.01 z)^2, (0.01 u)^2, 1], u the
// action standardized by the expert's statistics.)
//
// Sign (as GAIL's, discriminator.h): the reward -c is shifted by a running bound so that
// it is >= 0 (kSurvival: every step pays, for CartPole) or <= 0 (kGoal: every step costs,
// for Acrobot and MountainCar): r = -c - min_seen(-c) or -c - max_seen(-c) over all the
// rewards computed so far.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "imitation/demonstrations.h"
#include "imitation/discriminator.h"
#include "imitation/trpo_trainer.h"

namespace lbb::imitation {

enum class CostClass { kLinear /* FEM */, kConvex /* GTAL */ };

struct ApprenticeshipOptions {
  TrpoTrainerOptions rl;  // rl.env must be the demonstrations' environment
  CostClass cost = CostClass::kLinear;
  GailReward reward = GailReward::kSurvival;
  int64_t iterations = 100;  // the run's length, for GTAL's default eta
  double mw_rate = 0;        // GTAL's eta; <= 0: MWAL's schedule
  bool projection = false;   // FEM: Abbeel & Ng's projection method for w
  double square_scale = 0.01;
};

// f(s, a) of the header comment ([B, d]; [B, 2d] for GTAL).
class CostFeatures {
 public:
  CostFeatures(const EnvSpec& spec, const Demonstrations& demos, bool with_negatives, double square_scale);
  torch::Tensor operator()(const torch::Tensor& obs, const torch::Tensor& actions) const;
  int64_t dim() const { return dim_; }

 private:
  int64_t obs_dim_, num_actions_, action_dim_, dim_;
  bool with_negatives_;
  double square_scale_;
  ObsNormalizer obs_norm_, act_norm_;
};

struct ApprenticeshipIterationStats {
  IterationStats rl;         // mean_return: the true environment reward
  double objective = 0;      // max_{c in C} E_pi[c] - E_E[c] for this batch (FEM: the l2 distance)
  double mean_reward = 0;    // of the shifted rewards over the batch
  double weight_entropy = 0; // GTAL: entropy of w (ln d uniform, 0 one vertex); FEM: 0
};

class ApprenticeshipTrainer {
 public:
  ApprenticeshipTrainer(const Demonstrations& demos, const ApprenticeshipOptions& options);
  ApprenticeshipIterationStats iterate();
  Policy& policy() { return trainer_.policy(); }
  std::shared_ptr<Policy> policy_ptr() { return trainer_.policy_ptr(); }
  const torch::Tensor& weights() const { return w_; }
  const torch::Tensor& expert_features() const { return mu_e_; }
  double eta() const { return eta_; }
  // Step 1 on given policy feature expectations (exposed for tests): updates w, returns the
  // objective max_{c in C} (mu_pi - mu_E) . w.
  double fit_cost(const torch::Tensor& mu_pi);
  // The current cost c(s, a) = w . f(s, a) / d of state-action pairs ([B], unshifted; the
  // policy's reward is its negation shifted by the running bound).
  torch::Tensor cost(const torch::Tensor& obs, const torch::Tensor& actions) const;
  const CostFeatures& features() const { return features_; }
  int64_t iteration() const { return trainer_.iteration(); }
  // The whole state between iterations (TrpoTrainer::save_state, the cost weights and the
  // running bound). Needs options.rl.episode_batch_steps.
  void save_state(torch::serialize::OutputArchive& ar);
  void load_state(torch::serialize::InputArchive& ar);

 private:
  ApprenticeshipOptions options_;
  TrpoTrainer trainer_;
  CostFeatures features_;
  torch::Tensor mu_e_;      // expert feature expectations [d]
  torch::Tensor w_;         // cost weights [d]
  torch::Tensor log_W_;     // GTAL: log of the unnormalized multiplicative weights
  torch::Tensor mu_bar_;    // FEM projection: the current projection point (undefined at first)
  double eta_ = 0;
  double bound_ = 0;        // the running reward bound (starts at 0, as in [36]'s pipeline)
};

}  // namespace lbb::imitation
