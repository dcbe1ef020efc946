#include "imitation/behavioral_cloning.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace lbb::imitation {

BcResult behavioral_cloning(const Demonstrations& demos, const BcOptions& options) {
  const int64_t M = demos.pairs();
  if (M < 2) throw std::invalid_argument("behavioral cloning needs at least 2 state-action pairs");
  Rng rng(mix_seed(options.seed) ^ 0xbcull);
  // Fisher-Yates shuffle, then the split.
  std::vector<int64_t> perm(M);
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = M - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
  const int64_t n_train = std::clamp<int64_t>(static_cast<int64_t>(options.train_fraction * M + 0.5), 1, M - 1);
  const torch::Tensor idx = torch::tensor(perm, torch::kInt64);
  const torch::Tensor tr = idx.slice(0, 0, n_train), va = idx.slice(0, n_train);
  const torch::Tensor obs_tr = demos.obs.index_select(0, tr), act_tr = demos.actions.index_select(0, tr);
  const torch::Tensor obs_va = demos.obs.index_select(0, va), act_va = demos.actions.index_select(0, va);

  BcResult res;
  res.train_pairs = n_train;
  res.validation_pairs = M - n_train;
  res.policy = make_policy(make_env(demos.env)->spec(), rng, options.hidden);
  Policy& pi = *res.policy;
  pi.normalizer.update(obs_tr);
  const torch::Tensor z_tr = pi.normalizer.normalize(obs_tr), z_va = pi.normalizer.normalize(obs_va);
  const std::vector<torch::Tensor> params = pi.parameters();
  torch::optim::Adam adam(params, torch::optim::AdamOptions(options.lr));
  auto validation_loss = [&] {
    torch::NoGradGuard no_grad;
    return -pi.log_prob(pi.params(z_va), act_va).mean().item<double>();
  };

  res.best_validation_loss = validation_loss();
  torch::Tensor best = flat_params(params);
  const int64_t batch = std::min(options.batch, n_train);
  std::vector<int64_t> order(n_train);
  std::iota(order.begin(), order.end(), 0);
  int64_t cursor = n_train;  // position in the current epoch's order
  int64_t since_best = 0;
  for (int64_t step = 1; step <= options.max_steps; ++step) {
    if (cursor + batch > n_train) {  // a new epoch: reshuffle
      for (int64_t i = n_train - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
      cursor = 0;
    }
    const torch::Tensor b = torch::tensor(std::vector<int64_t>(order.begin() + cursor, order.begin() + cursor + batch),
                                          torch::kInt64);
    cursor += batch;
    adam.zero_grad();
    const torch::Tensor loss = -pi.log_prob(pi.params(z_tr.index_select(0, b)), act_tr.index_select(0, b)).mean();
    loss.backward();
    adam.step();
    res.steps = step;
    if (step % options.eval_every == 0) {
      const double v = validation_loss();
      if (v < res.best_validation_loss) {
        res.best_validation_loss = v;
        res.best_step = step;
        best = flat_params(params);
        since_best = 0;
      } else if (++since_best >= options.patience && options.patience > 0) {
        break;
      }
    }
  }
  set_flat_params(params, best);
  return res;
}

}  // namespace lbb::imitation
