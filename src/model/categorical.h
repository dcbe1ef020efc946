// Categorical distribution from integer frequencies (zero frequencies allowed):
//   C(i) = i + ⌊F_i·(2^63 − n)/F_n⌋,  F_i = f_0 + … + f_{i−1},
// so every bin has mass ≥ 1 and the rest is shared in proportion to the frequencies.
// Construction allocates (O(n) CDF + a lookup table); coding does not.
#pragma once

#include <cstdint>
#include <vector>

#include "ans/message.h"
#include "model/model.h"

namespace lbb {

class CategoricalModel {
 public:
  // 1 ≤ n ≤ 2^32; Σ f must fit in 64 bits (else std::invalid_argument).  All-zero → uniform.
  explicit CategoricalModel(const std::vector<uint64_t>& freqs);
  CategoricalModel(const uint64_t* freqs, size_t n);

  uint64_t size() const { return cdf_.size() - 1; }
  uint64_t cdf(uint64_t i) const { return cdf_[i]; }  // i ≤ n
  Interval interval(uint64_t i) const {
    if (i >= size()) throw_index_out_of_range("CategoricalModel", i, size());
    return Interval{cdf_[i], cdf_[i + 1] - cdf_[i]};
  }
  Lookup find(uint64_t slot) const {
    // Lookup table on the top bits of the slot gives the first candidate, then a short scan.
    uint64_t i = bucket_[slot >> bucket_shift_];
    while (cdf_[i + 1] <= slot) ++i;
    return Lookup{i, cdf_[i], cdf_[i + 1] - cdf_[i]};
  }

 private:
  std::vector<uint64_t> cdf_;     // n+1 entries, cdf_[0] = 0, cdf_[n] = 2^63, strictly increasing
  std::vector<uint32_t> bucket_;  // bucket_[b] = largest i with cdf_[i] ≤ b·2^bucket_shift_
  int bucket_shift_ = 63;
};

}  // namespace lbb
