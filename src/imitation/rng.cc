#include "imitation/rng.h"

#include <cmath>
#include <sstream>

#include "common/errors.h"

namespace lbb::imitation {

uint64_t mix_seed(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

double Rng::normal() {
  const double u1 = 1.0 - uniform();  // in (0, 1]
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t Rng::below(uint64_t n) {
  // Largest multiple of n that fits: draws at or above it are rejected.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = gen_(); while (x >= limit);
  return x % n;
}

std::string Rng::state() const {
  std::ostringstream out;
  out << gen_;
  return out.str();
}

void Rng::set_state(const std::string& state) {
  std::istringstream in(state);
  std::mt19937_64 g;
  in >> g;
  if (in.fail()) throw InputError("malformed generator state");
  gen_ = g;
}

}  // namespace lbb::imitation
