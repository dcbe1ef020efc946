#include "imitation/apprenticeship.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace lbb::imitation {

CostFeatures::CostFeatures(const EnvSpec& spec, const Demonstrations& demos, bool with_negatives, double square_scale)
    : obs_dim_(spec.obs_dim),
      num_actions_(spec.num_actions),
      action_dim_(spec.action_dim),
      with_negatives_(with_negatives),
      square_scale_(square_scale),
      obs_norm_(spec.obs_dim),
      act_norm_(spec.action_dim) {
  obs_norm_.update(demos.obs);
  if (!spec.discrete()) act_norm_.update(demos.actions);
  const int64_t base = spec.discrete() ? 2 * num_actions_ * obs_dim_ + 1 : 2 * (obs_dim_ + action_dim_) + 1;
  dim_ = with_negatives ? 2 * base : base;
}

torch::Tensor CostFeatures::operator()(const torch::Tensor& obs, const torch::Tensor& actions) const {
  const int64_t B = obs.size(0);
  const torch::Tensor z = obs_norm_.normalize(obs);
  torch::Tensor f;
  const torch::Tensor one = torch::ones({B, 1}, torch::kFloat64);
  if (num_actions_ > 0) {
    const torch::Tensor g = torch::cat({z, (square_scale_ * z).square()}, 1);  // [B, 2 obs_dim]
    const torch::Tensor onehot = torch::one_hot(actions, num_actions_).to(torch::kFloat64);  // [B, A]
    // Block a holds g(z) where a was taken, 0 elsewhere.
    const torch::Tensor blocks = (onehot.unsqueeze(2) * g.unsqueeze(1)).reshape({B, num_actions_ * 2 * obs_dim_});
    f = torch::cat({blocks, one}, 1);
  } else {
    const torch::Tensor u = act_norm_.normalize(actions);
    f = torch::cat({z, u, (square_scale_ * z).square(), (square_scale_ * u).square(), one}, 1);
  }
  return with_negatives_ ? torch::cat({f, -f}, 1) : f;
}

ApprenticeshipTrainer::ApprenticeshipTrainer(const Demonstrations& demos, const ApprenticeshipOptions& options)
    : options_(options),
      trainer_(options.rl),
      features_(make_env(demos.env)->spec(), demos, options.cost == CostClass::kConvex, options.square_scale) {
  if (demos.env != options.rl.env)
    throw std::invalid_argument("apprenticeship learning: demonstrations of " + demos.env + " for " + options.rl.env);
  trainer_.policy().normalizer.update(demos.obs);
  mu_e_ = features_(demos.obs, demos.actions).mean(0);
  const int64_t d = features_.dim();
  if (options.cost == CostClass::kConvex) {
    log_W_ = torch::zeros({d}, torch::kFloat64);  // uniform start
    w_ = torch::full({d}, 1.0 / static_cast<double>(d), torch::kFloat64);
    const double T = static_cast<double>(std::max<int64_t>(options.iterations, 1));
    eta_ = options.mw_rate > 0 ? options.mw_rate : std::log(1.0 + std::sqrt(2.0 * std::log(static_cast<double>(d)) / T));
  } else {
    w_ = torch::zeros({d}, torch::kFloat64);  // replaced by the first fit, before any reward
  }
}

double ApprenticeshipTrainer::fit_cost(const torch::Tensor& mu_pi) {
  const torch::Tensor diff = mu_pi - mu_e_;
  if (options_.cost == CostClass::kLinear) {
    torch::Tensor dir = diff;
    if (options_.projection) {
      // Abbeel & Ng's projection: mu_bar <- mu_bar + [(mu - mu_bar).(mu_E - mu_bar) / ||mu - mu_bar||^2] (mu - mu_bar).
      if (!mu_bar_.defined()) {
        mu_bar_ = mu_pi.clone();
      } else {
        const torch::Tensor step = mu_pi - mu_bar_;
        const double n2 = step.dot(step).item<double>();
        if (n2 > 0) mu_bar_ = mu_bar_ + (step.dot(mu_e_ - mu_bar_).item<double>() / n2) * step;
      }
      dir = mu_bar_ - mu_e_;
    }
    const double norm = dir.norm().item<double>();
    w_ = dir / (norm + 1e-8);
    return diff.norm().item<double>();  // max over C_linear of (mu_pi - mu_E) . w
  }
  // GTAL: multiplicative weights, the cost player moving toward the features on which the
  // policy exceeds the expert the most (Syed & Schapire's MWAL; the losses clipped to [-1, 1]).
  log_W_ = log_W_ + eta_ * diff.clamp(-1.0, 1.0);
  log_W_ = log_W_ - log_W_.max();  // keeps exp() in range; w unchanged
  const torch::Tensor W = log_W_.exp();
  w_ = W / W.sum();
  return diff.max().item<double>();  // max over C_convex: the worst single feature
}

torch::Tensor ApprenticeshipTrainer::cost(const torch::Tensor& obs, const torch::Tensor& actions) const {
  torch::NoGradGuard no_grad;
  return features_(obs, actions).matmul(w_) / static_cast<double>(features_.dim());
}

ApprenticeshipIterationStats ApprenticeshipTrainer::iterate() {
  ApprenticeshipIterationStats st;
  const RewardFn reward_fn = [&](const Rollout& r) {
    torch::NoGradGuard no_grad;
    const torch::Tensor f = features_(r.obs, r.actions);
    st.objective = fit_cost(f.mean(0));
    const double d = static_cast<double>(features_.dim());
    torch::Tensor rew = -(f.matmul(w_)) / d;  // reward = -cost
    if (options_.reward == GailReward::kGoal)
      bound_ = std::max(bound_, rew.max().item<double>());
    else
      bound_ = std::min(bound_, rew.min().item<double>());
    rew = (rew - bound_).contiguous();
    st.mean_reward = rew.mean().item<double>();
    if (options_.cost == CostClass::kConvex)
      st.weight_entropy = -(w_ * (w_ + 1e-300).log()).sum().item<double>();
    const int64_t B = rew.size(0);
    return std::vector<double>(rew.data_ptr<double>(), rew.data_ptr<double>() + B);
  };
  st.rl = trainer_.iterate(reward_fn);
  return st;
}

void ApprenticeshipTrainer::save_state(torch::serialize::OutputArchive& ar) {
  trainer_.save_state(ar);
  ar.write("al_w", w_, true);
  if (log_W_.defined()) ar.write("al_log_W", log_W_, true);
  if (mu_bar_.defined()) ar.write("al_mu_bar", mu_bar_, true);
  ar.write("al_bound", torch::tensor(bound_, torch::kFloat64), true);
}

void ApprenticeshipTrainer::load_state(torch::serialize::InputArchive& ar) {
  trainer_.load_state(ar);
  // Each read into a fresh tensor: InputArchive::read re-points a defined tensor's storage
  // (set_), which would also move every tensor sharing it.
  torch::Tensor w, log_W, mu_bar, bound;
  ar.read("al_w", w, true);
  w_ = w;
  if (ar.try_read("al_log_W", log_W, true)) log_W_ = log_W;
  if (ar.try_read("al_mu_bar", mu_bar, true)) mu_bar_ = mu_bar;
  ar.read("al_bound", bound, true);
  bound_ = bound.item<double>();
}

}  // namespace lbb::imitation
