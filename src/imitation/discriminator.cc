#include "imitation/discriminator.h"

#include "imitation/archive_file.h"

namespace lbb::imitation {

GailReward default_gail_reward(const std::string& env) {
  return env == "acrobot" || env == "mountaincar" ? GailReward::kGoal : GailReward::kSurvival;
}

Discriminator::Discriminator(int64_t obs_dim, int64_t num_actions, int64_t action_dim, const torch::Tensor& expert_obs,
                             const std::vector<int64_t>& hidden, Rng& rng, double lr, double entropy)
    : num_actions_(num_actions),
      action_dim_(action_dim),
      normalizer_(obs_dim),
      net_(obs_dim + (num_actions > 0 ? num_actions : action_dim), hidden, 1, rng, 1.0) {
  normalizer_.update(expert_obs);
  adam_ = std::make_unique<torch::optim::Adam>(net_->parameters(), torch::optim::AdamOptions(lr));
  entropy_ = entropy;
}

void Discriminator::save_state(torch::serialize::OutputArchive& ar) {
  save_parameters(ar, "disc.", *net_);
  torch::serialize::OutputArchive moments;
  adam_->save(moments);
  ar.write("disc_adam", moments);
}

void Discriminator::load_state(torch::serialize::InputArchive& ar) {
  load_parameters(ar, "disc.", *net_);
  torch::serialize::InputArchive moments;
  ar.read("disc_adam", moments);
  adam_->load(moments);
}

torch::Tensor Discriminator::features(const torch::Tensor& obs, const torch::Tensor& actions) const {
  const torch::Tensor a = num_actions_ > 0 ? torch::one_hot(actions, num_actions_).to(torch::kFloat64) : actions;
  return torch::cat({normalizer_.normalize(obs), a}, 1);
}

torch::Tensor Discriminator::logits(const torch::Tensor& obs, const torch::Tensor& actions) {
  return net_->forward(features(obs, actions)).squeeze(1);
}

double Discriminator::step(const torch::Tensor& policy_obs, const torch::Tensor& policy_actions,
                           const torch::Tensor& expert_obs, const torch::Tensor& expert_actions) {
  adam_->zero_grad();
  // -[mean_E log sigmoid(l) + mean_pi log(1 - sigmoid(l))], with log(1 - sigmoid(l)) = log sigmoid(-l).
  const torch::Tensor le = logits(expert_obs, expert_actions), lp = logits(policy_obs, policy_actions);
  torch::Tensor loss = -(torch::log_sigmoid(le).mean() + torch::log_sigmoid(-lp).mean());
  if (entropy_ != 0) {
    // Bernoulli entropy of p = sigmoid(l): -p log p - (1 - p) log(1 - p).
    const torch::Tensor l = torch::cat({le, lp});
    const torch::Tensor p = torch::sigmoid(l);
    const torch::Tensor h = -(p * torch::log_sigmoid(l) + (1 - p) * torch::log_sigmoid(-l));
    loss = loss - entropy_ * h.mean();
  }
  loss.backward();
  adam_->step();
  return loss.item<double>();
}

torch::Tensor Discriminator::reward(const torch::Tensor& obs, const torch::Tensor& actions, GailReward kind) {
  torch::NoGradGuard no_grad;
  const torch::Tensor l = logits(obs, actions);
  // -log(1 - sigmoid(l)) = softplus(l);  log sigmoid(l) = -softplus(-l).
  return kind == GailReward::kSurvival ? torch::softplus(l) : torch::log_sigmoid(l);
}

}  // namespace lbb::imitation
