// Generative adversarial imitation learning (thesis Algorithm 2.1). Each iteration:
//   3: sample the policy (the TRPO trainer's batch, N * T environment steps);
//   4: one Adam step of the discriminator on that batch against as many expert pairs,
//      drawn with replacement from the demonstrations (eq. 2.26);
//   5: one TRPO step with the rewards of the updated discriminator (discriminator.h for the
//      sign; GAE and the value fit as for the experts), with the causal entropy weight
//      lambda as TRPO's entropy_coef (eq. 2.27; 0 by default, as in the thesis).
// The policy's observation normalizer starts from the expert data's statistics, then runs.
#pragma once

#include <memory>

#include "imitation/demonstrations.h"
#include "imitation/discriminator.h"
#include "imitation/trpo_trainer.h"

namespace lbb::imitation {

struct GailOptions {
  TrpoTrainerOptions rl;  // rl.env must be the demonstrations' environment
  double discriminator_lr = 0.01;
  // The discriminator's loss minus this weight times the mean entropy of its Bernoulli outputs
  // (the author's pipeline on the MuJoCo tasks: 0.001; 0 on the classic tasks).
  double discriminator_entropy = 0.0;
  GailReward reward = GailReward::kSurvival;
};

struct GailIterationStats {
  IterationStats rl;             // mean_return: the true environment reward
  double discriminator_loss = 0; // before its step
  double mean_reward = 0;        // the discriminator's reward over the batch
  double discriminator_seconds = 0;  // its step and the rewards (inside rl.seconds)
};

class GailTrainer {
 public:
  GailTrainer(const Demonstrations& demos, const GailOptions& options);
  GailIterationStats iterate();
  Policy& policy() { return trainer_.policy(); }
  std::shared_ptr<Policy> policy_ptr() { return trainer_.policy_ptr(); }
  int64_t iteration() const { return trainer_.iteration(); }
  // The whole state between iterations (TrpoTrainer::save_state, the discriminator and its
  // Adam moments, the expert-batch generator). Needs options.rl.episode_batch_steps.
  void save_state(torch::serialize::OutputArchive& ar);
  void load_state(torch::serialize::InputArchive& ar);

 private:
  Demonstrations demos_;
  GailOptions options_;
  TrpoTrainer trainer_;
  Rng rng_;  // expert minibatches; the discriminator's initialization
  std::unique_ptr<Discriminator> disc_;
};

}  // namespace lbb::imitation
