#include "imitation/value_function.h"

#include <algorithm>

namespace lbb::imitation {

ValueFunction::ValueFunction(int64_t obs_dim, const std::vector<int64_t>& hidden, Rng& rng)
    : net_(obs_dim, hidden, 1, rng, 1.0) {}

torch::Tensor ValueFunction::predict(const torch::Tensor& obs_normalized) {
  torch::NoGradGuard no_grad;
  return net_->forward(obs_normalized).squeeze(1);
}

double ValueFunction::fit(const torch::Tensor& obs_normalized, const torch::Tensor& targets,
                          const ValueFitOptions& options) {
  const std::vector<torch::Tensor> params = net_->parameters();
  torch::optim::LBFGS opt(params, torch::optim::LBFGSOptions(1.0)
                                      .max_iter(options.iterations)
                                      .history_size(25)
                                      .line_search_fn("strong_wolfe"));
  const int64_t n = obs_normalized.size(0), stride = std::max<int64_t>(1, options.stride);
  const torch::Tensor x = obs_normalized.detach().slice(0, 0, n, stride).contiguous();
  const torch::Tensor y = targets.detach().slice(0, 0, n, stride).contiguous();
  auto closure = [&]() -> torch::Tensor {
    opt.zero_grad();
    torch::Tensor loss = (net_->forward(x).squeeze(1) - y).pow(2).mean();
    for (const torch::Tensor& p : params) loss = loss + options.l2 * p.pow(2).sum();
    loss.backward();
    return loss;
  };
  opt.step(closure);
  torch::NoGradGuard no_grad;
  return (net_->forward(obs_normalized).squeeze(1) - targets).pow(2).mean().item<double>();
}

}  // namespace lbb::imitation
