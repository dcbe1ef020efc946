#include "imitation/gae.h"

#include <stdexcept>

namespace lbb::imitation {

std::vector<double> gae_advantages(const std::vector<double>& rewards, const std::vector<double>& values,
                                   const std::vector<double>& next_values, const std::vector<uint8_t>& episode_ends,
                                   int64_t T, int64_t N, const GaeOptions& options) {
  const size_t n = static_cast<size_t>(T * N);
  if (rewards.size() != n || values.size() != n || next_values.size() != n || episode_ends.size() != n)
    throw std::invalid_argument("gae_advantages: arrays must hold T * N entries");
  std::vector<double> adv(n);
  for (int64_t i = 0; i < N; ++i) {
    double next_adv = 0;  // A_{t+1}; 0 past the segment's end
    for (int64_t t = T - 1; t >= 0; --t) {
      const size_t k = static_cast<size_t>(t * N + i);
      const double delta = rewards[k] + options.gamma * next_values[k] - values[k];
      const double carry = episode_ends[k] ? 0.0 : next_adv;
      adv[k] = delta + options.gamma * options.lambda * carry;
      next_adv = adv[k];
    }
  }
  return adv;
}

}  // namespace lbb::imitation
