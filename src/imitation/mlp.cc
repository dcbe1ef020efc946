#include "imitation/mlp.h"

#include <cmath>

namespace lbb::imitation {

torch::Tensor flatten_tensors(const std::vector<torch::Tensor>& ts) {
  std::vector<torch::Tensor> flat;
  for (const torch::Tensor& t : ts) flat.push_back(t.reshape({-1}));
  return torch::cat(flat);
}

torch::Tensor flat_params(const std::vector<torch::Tensor>& params) { return flatten_tensors(params).detach().clone(); }

void set_flat_params(const std::vector<torch::Tensor>& params, const torch::Tensor& flat) {
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const torch::Tensor& p : params) {
    const int64_t n = p.numel();
    p.copy_(flat.slice(0, offset, offset + n).view_as(p));
    offset += n;
  }
  TORCH_CHECK(offset == flat.numel(), "set_flat_params: size mismatch");
}

torch::Tensor flat_grad(const torch::Tensor& y, const std::vector<torch::Tensor>& params, bool create_graph,
                        bool retain_graph) {
  std::vector<torch::Tensor> g = torch::autograd::grad({y}, params, {}, retain_graph || create_graph, create_graph,
                                                       /*allow_unused=*/true);
  for (size_t i = 0; i < g.size(); ++i)
    if (!g[i].defined()) g[i] = torch::zeros_like(params[i]);
  return flatten_tensors(g);
}

MlpImpl::MlpImpl(int64_t in, const std::vector<int64_t>& hidden, int64_t out, Rng& rng, double out_scale)
    : hidden_(hidden) {
  std::vector<int64_t> sizes{in};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(out);
  for (size_t k = 0; k + 1 < sizes.size(); ++k) {
    const int64_t fan_in = sizes[k], fan_out = sizes[k + 1];
    const double r = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
    const double scale = k + 2 == sizes.size() ? out_scale : 1.0;
    torch::Tensor w = torch::empty({fan_in, fan_out}, torch::kFloat64);
    double* pw = w.data_ptr<double>();
    for (int64_t i = 0; i < w.numel(); ++i) pw[i] = scale * rng.uniform(-r, r);
    weights_.push_back(register_parameter("w" + std::to_string(k), w));
    biases_.push_back(register_parameter("b" + std::to_string(k), torch::zeros({fan_out}, torch::kFloat64)));
  }
}

torch::Tensor MlpImpl::forward(torch::Tensor x) {
  for (size_t k = 0; k < weights_.size(); ++k) {
    x = torch::addmm(biases_[k], x, weights_[k]);
    if (k + 1 < weights_.size()) x = torch::tanh(x);
  }
  return x;
}

}  // namespace lbb::imitation
