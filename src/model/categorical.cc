#include "model/categorical.h"

#include <stdexcept>

namespace lbb {

CategoricalModel::CategoricalModel(const std::vector<uint64_t>& freqs)
    : CategoricalModel(freqs.data(), freqs.size()) {}

CategoricalModel::CategoricalModel(const uint64_t* freqs, size_t n) {
  if (n == 0 || n > (uint64_t{1} << 32))
    throw std::invalid_argument("CategoricalModel: need 1 <= n <= 2^32 bins");
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (freqs[i] > ~uint64_t{0} - total)
      throw std::invalid_argument("CategoricalModel: sum of frequencies overflows 64 bits");
    total += freqs[i];
  }
  const uint64_t spread = ans::kTotal - n;
  cdf_.resize(n + 1);
  uint64_t cum = 0;
  for (size_t i = 0; i <= n; ++i) {
    uint64_t share;
    if (total == 0) {
      share = static_cast<uint64_t>((u128{i} * spread) / n);
    } else {
      const u128 prod = u128{cum} * spread;  // < total·2^63, so the quotient fits
      uint64_t r;
      share = ans::div_128_by_64(static_cast<uint64_t>(prod >> 64), static_cast<uint64_t>(prod),
                                 total, &r);
    }
    cdf_[i] = i + share;
    if (i < n) cum += freqs[i];
  }
  // Lookup table with about 4 buckets per bin (at most 2^16 buckets).
  int bits = 2;
  while (bits < 16 && (uint64_t{1} << bits) < 4 * n) ++bits;
  bucket_shift_ = 63 - bits;
  bucket_.resize(size_t{1} << bits);
  uint64_t i = 0;
  for (size_t b = 0; b < bucket_.size(); ++b) {
    const uint64_t low = static_cast<uint64_t>(b) << bucket_shift_;
    while (cdf_[i + 1] <= low) ++i;
    bucket_[b] = static_cast<uint32_t>(i);
  }
}

}  // namespace lbb
