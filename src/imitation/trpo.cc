#include "imitation/trpo.h"

#include <algorithm>

#include <cmath>

namespace lbb::imitation {

torch::Tensor conjugate_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& A_times,
                                 const torch::Tensor& b, int64_t iterations, double tolerance) {
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::zeros_like(b);
  torch::Tensor r = b.clone();  // residual b - A x
  torch::Tensor p = b.clone();  // search direction, A-conjugate to the previous ones
  double rr = r.dot(r).item<double>();
  for (int64_t k = 0; k < iterations && rr >= tolerance; ++k) {
    const torch::Tensor Ap = A_times(p);
    const double alpha = rr / p.dot(Ap).item<double>();
    x = x + alpha * p;
    r = r - alpha * Ap;
    const double rr_new = r.dot(r).item<double>();
    p = r + (rr_new / rr) * p;
    rr = rr_new;
  }
  return x;
}

FisherProduct::FisherProduct(Policy& policy, const torch::Tensor& obs_normalized, const torch::Tensor& old_params,
                             double damping)
    : params_(policy.parameters()), damping_(damping) {
  const torch::Tensor kl = policy.kl(old_params.detach(), policy.params(obs_normalized)).mean();
  grad_kl_ = flat_grad(kl, params_, /*create_graph=*/true);
}

torch::Tensor FisherProduct::operator()(const torch::Tensor& v) {
  torch::AutoGradMode grad_mode(true);
  const torch::Tensor gv = grad_kl_.dot(v.detach());
  return flat_grad(gv, params_, /*create_graph=*/false, /*retain_graph=*/true).detach() + damping_ * v;
}

TrpoStepStats trpo_step(Policy& policy, const torch::Tensor& obs_normalized, const torch::Tensor& actions,
                        const torch::Tensor& advantages, const TrpoOptions& options) {
  const std::vector<torch::Tensor> params = policy.parameters();
  torch::Tensor old_params, old_logp;
  {
    torch::NoGradGuard no_grad;
    old_params = policy.params(obs_normalized);
    old_logp = policy.log_prob(old_params, actions);
  }
  const torch::Tensor adv = advantages.detach();
  auto surrogate = [&](const torch::Tensor& p) {
    torch::Tensor l = (torch::exp(policy.log_prob(p, actions) - old_logp) * adv).mean();
    if (options.entropy_coef != 0) l = l + options.entropy_coef * policy.entropy(p).mean();
    return l;
  };

  TrpoStepStats st;
  const torch::Tensor theta_old = flat_params(params);
  torch::Tensor g;
  {
    const torch::Tensor l = surrogate(policy.params(obs_normalized));
    st.surrogate_before = l.item<double>();
    g = flat_grad(l, params);
  }
  st.entropy = policy.entropy(old_params).mean().item<double>();
  st.surrogate_after = st.surrogate_before;
  if (g.abs().max().item<double>() == 0) return st;  // nothing to improve (e.g. all advantages 0)

  const int64_t n = obs_normalized.size(0), stride = std::max<int64_t>(1, options.fisher_stride);
  FisherProduct F(policy, obs_normalized.slice(0, 0, n, stride), old_params.slice(0, 0, n, stride), options.cg_damping);
  const torch::Tensor s = conjugate_gradient(std::ref(F), g, options.cg_iterations);
  const double sFs = s.dot(F(s)).item<double>();
  // The quadratic model 1/2 step^T F step equals max_kl at the full step.
  const torch::Tensor full_step = s * std::sqrt(2 * options.max_kl / sFs);
  st.expected_improvement = g.dot(full_step).item<double>();

  torch::NoGradGuard no_grad;
  double fraction = 1.0;
  for (int64_t k = 0; k < options.max_backtracks; ++k, fraction *= 0.5) {
    set_flat_params(params, theta_old + fraction * full_step);
    const torch::Tensor p = policy.params(obs_normalized);
    const double kl = policy.kl(old_params, p).mean().item<double>();
    const double l = surrogate(p).item<double>();
    if (std::isfinite(kl) && std::isfinite(l) && kl <= options.kl_accept_factor * options.max_kl &&
        l > st.surrogate_before) {
      st.accepted = true;
      st.kl = kl;
      st.surrogate_after = l;
      st.backtracks = k;
      return st;
    }
  }
  set_flat_params(params, theta_old);
  return st;
}

}  // namespace lbb::imitation
