// Trust region policy optimization (Schulman et al. 2015, "Trust region policy
// optimization", section 6 and appendix C), the policy step of the expert training, FEM,
// GTAL and GAIL (Algorithm 2.1, line 5).
//
// One step from theta_old, on states s_i, actions a_i and advantages A_i of one batch:
//   L(theta)  = mean_i [ pi_theta(a_i|s_i) / pi_old(a_i|s_i) * A_i ] + entropy_coef * mean_i H(pi_theta(.|s_i))
//   KL(theta) = mean_i KL(pi_old(.|s_i) || pi_theta(.|s_i))
//   g = grad L(theta_old);  F = Hessian of KL at theta_old (the Fisher matrix) + damping I
//   s = F^-1 g by conjugate gradient (cg_iterations);  full step = sqrt(2 max_kl / s^T F s) s
//   backtracking: theta = theta_old + 0.5^k * full step, k = 0 .. max_backtracks-1, the first
//   that has KL(theta) <= kl_accept_factor * max_kl and L(theta) > L(theta_old); if none
//   does, theta stays theta_old (the step is rejected).
// The thesis' settings: max_kl 0.01, 10 CG iterations, damping 0.1.
#pragma once

#include <torch/torch.h>

#include <functional>

#include "imitation/policy.h"

namespace lbb::imitation {

struct TrpoOptions {
  double max_kl = 0.01;
  int64_t cg_iterations = 10;
  double cg_damping = 0.1;
  int64_t max_backtracks = 10;
  double kl_accept_factor = 1.5;
  double entropy_coef = 0.0;  // the causal entropy weight lambda of eq. (2.25); 0 in the thesis
  // The Fisher products of the CG solve use every fisher_stride-th state of the batch (the
  // surrogate, its gradient and the KL test of the line search use all of them). 1: all;
  // the MuJoCo batches of 50,000 steps use 5, as OpenAI Baselines' TRPO does.
  int64_t fisher_stride = 1;
};

struct TrpoStepStats {
  double surrogate_before = 0, surrogate_after = 0;  // L(theta_old), L(theta_new)
  double expected_improvement = 0;                   // g . full step (first-order)
  double kl = 0;                                     // KL(theta_new), 0 if rejected
  double entropy = 0;                                // mean entropy at theta_old
  int64_t backtracks = 0;                            // k of the accepted step
  bool accepted = false;
};

// Solves A x = b for symmetric positive definite A given as a product x -> A x, starting
// from x = 0 (Hestenes & Stiefel 1952); stops after `iterations` or when r^T r < tolerance.
torch::Tensor conjugate_gradient(const std::function<torch::Tensor(const torch::Tensor&)>& A_times,
                                 const torch::Tensor& b, int64_t iterations, double tolerance = 1e-10);

// The product v -> (Hessian of mean KL(pi_old || pi_theta) at theta = theta_old) v + damping v,
// by double backpropagation (one graph for grad KL, reused for every v). old_params are the
// policy's parameters at theta_old (detached); obs_normalized the batch's states.
class FisherProduct {
 public:
  FisherProduct(Policy& policy, const torch::Tensor& obs_normalized, const torch::Tensor& old_params, double damping);
  torch::Tensor operator()(const torch::Tensor& v);

 private:
  std::vector<torch::Tensor> params_;
  torch::Tensor grad_kl_;  // flat grad of KL, with its graph
  double damping_;
};

// One TRPO step on `policy` (its parameters are updated in place when accepted).
TrpoStepStats trpo_step(Policy& policy, const torch::Tensor& obs_normalized, const torch::Tensor& actions,
                        const torch::Tensor& advantages, const TrpoOptions& options);

}  // namespace lbb::imitation
