#include "imitation/obs_normalizer.h"

namespace lbb::imitation {

ObsNormalizer::ObsNormalizer(int64_t dim)
    : mean_(torch::zeros({dim}, torch::kFloat64)), var_(torch::ones({dim}, torch::kFloat64)) {}

void ObsNormalizer::update(const torch::Tensor& batch) {
  torch::NoGradGuard no_grad;
  const double nb = static_cast<double>(batch.size(0));
  const torch::Tensor mb = batch.mean(0);
  const torch::Tensor vb = batch.var(0, /*unbiased=*/false);
  if (count_ == 0) {
    mean_ = mb;
    var_ = vb;
  } else {
    // M2 = M2_a + M2_b + delta^2 n_a n_b / n (Chan et al. 1979).
    const double n = count_ + nb;
    const torch::Tensor delta = mb - mean_;
    const torch::Tensor m2 = var_ * count_ + vb * nb + delta * delta * (count_ * nb / n);
    mean_ = mean_ + delta * (nb / n);
    var_ = m2 / n;
  }
  count_ += nb;
}

torch::Tensor ObsNormalizer::normalize(const torch::Tensor& obs) const {
  return (obs - mean_) / torch::sqrt(var_ + 1e-8);
}

void ObsNormalizer::set(double count, torch::Tensor mean, torch::Tensor var) {
  count_ = count;
  mean_ = mean.to(torch::kFloat64).clone();
  var_ = var.to(torch::kFloat64).clone();
}

}  // namespace lbb::imitation
