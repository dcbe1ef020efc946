// Multilayer perceptrons of the imitation experiments: the thesis' policies, values and
// discriminators are all 2 hidden layers of 100 tanh units (section 2.6). float64.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "imitation/rng.h"

namespace lbb::imitation {

// Flat views of a parameter list (the TRPO step works on one vector theta).
torch::Tensor flatten_tensors(const std::vector<torch::Tensor>& ts);
torch::Tensor flat_params(const std::vector<torch::Tensor>& params);
// Copies flat[offset...] into each parameter in order; flat.numel() == total size.
void set_flat_params(const std::vector<torch::Tensor>& params, const torch::Tensor& flat);
// d(y)/d(params), flattened (zeros for parameters y does not depend on).
torch::Tensor flat_grad(const torch::Tensor& y, const std::vector<torch::Tensor>& params, bool create_graph = false,
                        bool retain_graph = false);

class MlpImpl : public torch::nn::Module {
 public:
  // in -> hidden... (tanh) -> out (linear). Weights ~ Glorot uniform U(-r, r),
  // r = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010), drawn from `rng`; biases 0;
  // the last layer's weights are multiplied by out_scale (0.01 for a policy makes its
  // initial action distribution nearly uniform / centred, as modular_rl's policies do).
  MlpImpl(int64_t in, const std::vector<int64_t>& hidden, int64_t out, Rng& rng, double out_scale);
  torch::Tensor forward(torch::Tensor x);
  const std::vector<int64_t>& hidden() const { return hidden_; }

 private:
  std::vector<int64_t> hidden_;
  std::vector<torch::Tensor> weights_, biases_;  // weights_[k]: [fan_in, fan_out], float64
};
TORCH_MODULE(Mlp);

}  // namespace lbb::imitation
