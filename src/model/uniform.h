// Uniform distribution over n bins: C(i) = ⌊i·2^63/n⌋ (every bin gets ⌊2^63/n⌋ or one more).
#pragma once

#include <cstdint>

#include "ans/message.h"
#include "model/model.h"

namespace lbb {

class UniformModel {
 public:
  // n ∈ [1, 2^63].
  explicit UniformModel(uint64_t n) : n_(n) {
    if (n == 0 || n > ans::kTotal) throw_index_out_of_range("UniformModel(n)", n, ans::kTotal);
  }
  uint64_t size() const { return n_; }
  uint64_t cdf(uint64_t i) const {  // i ≤ n
    uint64_t r;
    return ans::div_128_by_64(i >> 1, i << 63, n_, &r);  // ⌊i·2^63/n⌋, i >> 1 < n
  }
  Interval interval(uint64_t i) const {
    if (i >= n_) throw_index_out_of_range("UniformModel", i, n_);
    const uint64_t c0 = cdf(i);
    return Interval{c0, cdf(i + 1) - c0};
  }
  Lookup find(uint64_t slot) const {
    // Largest i with ⌊i·2^63/n⌋ ≤ slot  ⇔  i ≤ ((slot+1)·n − 1)/2^63 (exact, no search).
    const uint64_t i = static_cast<uint64_t>(((u128{slot} + 1) * n_ - 1) >> 63);
    const uint64_t c0 = cdf(i);
    return Lookup{i, c0, cdf(i + 1) - c0};
  }

 private:
  uint64_t n_;  // ∈ [1, 2^63]
};

inline void push_uniform(Message& m, uint64_t index, uint64_t n) {
  push_symbol(m, UniformModel(n), index);
}
inline uint64_t pop_uniform(Message& m, uint64_t n) { return pop_symbol(m, UniformModel(n)); }

}  // namespace lbb
