// Generalized advantage estimation (Schulman et al. 2016, "High-dimensional continuous
// control using generalized advantage estimation", eq. 16), on a batch laid out time-major,
// [T, N] = T lockstep steps of N environments:
//   delta_t = r_t + gamma * next_value_t - V(s_t)
//   A_t     = delta_t + gamma * lambda * (1 - end_t) * A_{t+1},   A_T = 0
// where next_value_t is V(s_{t+1}) for a step that continues or is truncated (the time
// limit, or the end of the batch's segment: bootstrap from the real next state) and 0 for a
// step that terminated, and end_t = 1 if the episode ended (terminated or truncated) at t.
// The thesis' settings: gamma = 0.995, lambda = 0.97.
#pragma once

#include <cstdint>
#include <vector>

namespace lbb::imitation {

struct GaeOptions {
  double gamma = 0.995;
  double lambda = 0.97;
};

// All arrays [T * N] time-major; returns A_t in the same layout.
std::vector<double> gae_advantages(const std::vector<double>& rewards, const std::vector<double>& values,
                                   const std::vector<double>& next_values, const std::vector<uint8_t>& episode_ends,
                                   int64_t T, int64_t N, const GaeOptions& options);

}  // namespace lbb::imitation
