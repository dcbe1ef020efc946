// Random numbers of the imitation runs: one generator per consumer (environment, sampler),
// seeded explicitly, with conversions written here so that a seed gives the same stream
// with any standard library (std::mt19937_64's output is fixed by the C++ standard, the
// std:: distributions are not).
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace lbb::imitation {

// SplitMix64 finalizer: spreads nearby seeds (s, s+1, ...) into unrelated 64-bit words.
uint64_t mix_seed(uint64_t x);

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : gen_(mix_seed(seed)) {}
  void seed(uint64_t seed) { gen_.seed(mix_seed(seed)); }
  uint64_t next_u64() { return gen_(); }
  // Uniform on [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  // Uniform on [lo, hi) (lo + (hi - lo) * u, as numpy's uniform).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal (Box-Muller on two uniforms; 1 - u keeps the log finite).
  double normal();
  // Uniform integer in [0, n), n >= 1 (rejection sampling, no modulo bias).
  uint64_t below(uint64_t n);
  // The generator's whole state as text (the standard's stream format), and back; set_state
  // throws lbb::InputError for a malformed state.
  std::string state() const;
  void set_state(const std::string& state);

 private:
  std::mt19937_64 gen_;
};

}  // namespace lbb::imitation
