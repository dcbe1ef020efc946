#include "imitation/policy.h"

#include <cmath>
#include <stdexcept>

namespace lbb::imitation {

torch::Tensor Policy::act(const torch::Tensor& obs, Rng& rng, bool deterministic) {
  torch::NoGradGuard no_grad;
  const torch::Tensor p = params(normalizer.normalize(obs));
  return deterministic ? mode(p) : sample(p, rng);
}

// ---- softmax ----

SoftmaxPolicy::SoftmaxPolicy(int64_t obs_dim, int64_t num_actions, const std::vector<int64_t>& hidden, Rng& rng)
    : net_(obs_dim, hidden, num_actions, rng, 0.01) {
  normalizer = ObsNormalizer(obs_dim);
  register_module("net", net_);
}

torch::Tensor SoftmaxPolicy::params(const torch::Tensor& obs_normalized) {
  return torch::log_softmax(net_->forward(obs_normalized), 1);
}

torch::Tensor SoftmaxPolicy::log_prob(const torch::Tensor& params, const torch::Tensor& actions) const {
  return params.gather(1, actions.view({-1, 1})).squeeze(1);
}

torch::Tensor SoftmaxPolicy::kl(const torch::Tensor& old_params, const torch::Tensor& new_params) const {
  // KL(p || q) = sum_a p(a) (log p(a) - log q(a)).
  return (old_params.exp() * (old_params - new_params)).sum(1);
}

torch::Tensor SoftmaxPolicy::entropy(const torch::Tensor& params) const { return -(params.exp() * params).sum(1); }

torch::Tensor SoftmaxPolicy::sample(const torch::Tensor& params, Rng& rng) const {
  const torch::Tensor p = params.detach().exp().contiguous();
  const int64_t B = p.size(0), A = p.size(1);
  const double* pp = p.data_ptr<double>();
  torch::Tensor out = torch::empty({B}, torch::kInt64);
  int64_t* po = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < B; ++i) {
    const double u = rng.uniform();
    double cdf = 0;
    int64_t a = A - 1;  // if rounding leaves the total below u, the last action
    for (int64_t j = 0; j < A; ++j) {
      cdf += pp[i * A + j];
      if (u < cdf) {
        a = j;
        break;
      }
    }
    po[i] = a;
  }
  return out;
}

torch::Tensor SoftmaxPolicy::mode(const torch::Tensor& params) const {
  const torch::Tensor p = params.detach().contiguous();
  const int64_t B = p.size(0), A = p.size(1);
  const double* pp = p.data_ptr<double>();
  torch::Tensor out = torch::empty({B}, torch::kInt64);
  for (int64_t i = 0; i < B; ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < A; ++j)
      if (pp[i * A + j] > pp[i * A + best]) best = j;
    out.data_ptr<int64_t>()[i] = best;
  }
  return out;
}

std::vector<Action> SoftmaxPolicy::to_env_actions(const torch::Tensor& actions) const {
  const torch::Tensor a = actions.contiguous();
  std::vector<Action> out(a.size(0));
  for (int64_t i = 0; i < a.size(0); ++i) out[i].index = a.data_ptr<int64_t>()[i];
  return out;
}

// ---- Gaussian ----

GaussianPolicy::GaussianPolicy(int64_t obs_dim, int64_t action_dim, const std::vector<int64_t>& hidden, Rng& rng,
                               double init_log_std)
    : action_dim_(action_dim), net_(obs_dim, hidden, action_dim, rng, 0.01) {
  normalizer = ObsNormalizer(obs_dim);
  register_module("net", net_);
  log_std_ = register_parameter("log_std", torch::full({action_dim}, init_log_std, torch::kFloat64));
}

torch::Tensor GaussianPolicy::params(const torch::Tensor& obs_normalized) {
  const torch::Tensor mean = net_->forward(obs_normalized);
  return torch::cat({mean, log_std_.expand_as(mean)}, 1);
}

torch::Tensor GaussianPolicy::log_prob(const torch::Tensor& params, const torch::Tensor& actions) const {
  const torch::Tensor mean = params.slice(1, 0, action_dim_), log_std = params.slice(1, action_dim_);
  const torch::Tensor z = (actions - mean) * torch::exp(-log_std);
  // log N(a; mu, sigma^2) = -1/2 sum z^2 - sum log sigma - d/2 log(2 pi).
  return -0.5 * (z * z).sum(1) - log_std.sum(1) - 0.5 * static_cast<double>(action_dim_) * std::log(2 * M_PI);
}

torch::Tensor GaussianPolicy::kl(const torch::Tensor& old_params, const torch::Tensor& new_params) const {
  const torch::Tensor m0 = old_params.slice(1, 0, action_dim_), l0 = old_params.slice(1, action_dim_);
  const torch::Tensor m1 = new_params.slice(1, 0, action_dim_), l1 = new_params.slice(1, action_dim_);
  // KL(N0 || N1) = sum log(s1 / s0) + (s0^2 + (m0 - m1)^2) / (2 s1^2) - 1/2.
  const torch::Tensor d = m0 - m1;
  return (l1 - l0 + (torch::exp(2 * l0) + d * d) / (2 * torch::exp(2 * l1)) - 0.5).sum(1);
}

torch::Tensor GaussianPolicy::entropy(const torch::Tensor& params) const {
  // H = sum (log sigma + 1/2 log(2 pi e)).
  return (params.slice(1, action_dim_) + 0.5 * std::log(2 * M_PI * M_E)).sum(1);
}

torch::Tensor GaussianPolicy::sample(const torch::Tensor& params, Rng& rng) const {
  const torch::Tensor p = params.detach();
  torch::Tensor noise = torch::empty({p.size(0), action_dim_}, torch::kFloat64);
  double* pn = noise.data_ptr<double>();
  for (int64_t i = 0; i < noise.numel(); ++i) pn[i] = rng.normal();
  return p.slice(1, 0, action_dim_) + torch::exp(p.slice(1, action_dim_)) * noise;
}

torch::Tensor GaussianPolicy::mode(const torch::Tensor& params) const {
  return params.detach().slice(1, 0, action_dim_).clone();
}

std::vector<Action> GaussianPolicy::to_env_actions(const torch::Tensor& actions) const {
  const torch::Tensor a = actions.contiguous();
  std::vector<Action> out(a.size(0));
  for (int64_t i = 0; i < a.size(0); ++i)
    out[i].values.assign(a.data_ptr<double>() + i * action_dim_, a.data_ptr<double>() + (i + 1) * action_dim_);
  return out;
}

std::shared_ptr<Policy> make_policy(const EnvSpec& spec, Rng& rng, const std::vector<int64_t>& hidden) {
  if (spec.discrete()) return std::make_shared<SoftmaxPolicy>(spec.obs_dim, spec.num_actions, hidden, rng);
  return std::make_shared<GaussianPolicy>(spec.obs_dim, spec.action_dim, hidden, rng);
}

}  // namespace lbb::imitation
