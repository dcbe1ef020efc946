// A uniform grid of bins on the real line (thesis §3.5.1: bins of width δ = 2^-k).
#pragma once

#include <cstdint>

#include "model/det_math.h"

namespace lbb {

// Bin i ∈ [0, nbins) covers [lo + i·2^-k, lo + (i+1)·2^-k) and has centre lo + (i + ½)·2^-k.
struct GridSpec {
  double lo = 0.0;       // left edge of bin 0
  int k = 0;             // bin width is 2^-k, k ∈ [−60, 60]
  uint64_t nbins = 1;    // number of bins, 1 ≤ nbins ≤ 2^62

  double step() const { return det_pow2(-k); }
  // Centre of bin i (exact when lo is a multiple of 2^-k and |value| < 2^(53−k)).
  double value(uint64_t i) const { return lo + (static_cast<double>(i) + 0.5) * det_pow2(-k); }
  // Bin containing x, clamped to [0, nbins) (NaN → 0).
  uint64_t index_of(double x) const {
    const double u = (x - lo) * det_pow2(k);
    if (!(u >= 0)) return 0;
    if (!(u < static_cast<double>(nbins))) return nbins - 1;
    const uint64_t i = static_cast<uint64_t>(u);
    return i < nbins ? i : nbins - 1;
  }
};

}  // namespace lbb
