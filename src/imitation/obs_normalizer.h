// Running observation standardization: z = (s - mean) / sqrt(var + 1e-8) per dimension, with
// mean and variance over every observation passed to update() so far (Chan, Golub & LeVeque's
// pairwise combination of (count, mean, M2), exact in the order of the updates). Before the
// first update it is the identity (mean 0, var 1).
#pragma once

#include <torch/torch.h>

namespace lbb::imitation {

class ObsNormalizer {
 public:
  explicit ObsNormalizer(int64_t dim = 0);
  // batch: [B, dim] float64, B >= 1.
  void update(const torch::Tensor& batch);
  torch::Tensor normalize(const torch::Tensor& obs) const;
  double count() const { return count_; }
  const torch::Tensor& mean() const { return mean_; }
  const torch::Tensor& var() const { return var_; }
  // Restores a saved state (policy files).
  void set(double count, torch::Tensor mean, torch::Tensor var);

 private:
  double count_ = 0;    // observations seen; 0 -> identity
  torch::Tensor mean_;  // [dim] float64
  torch::Tensor var_;   // [dim] float64, population variance (1 while count_ == 0)
};

}  // namespace lbb::imitation
