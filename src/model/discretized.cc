#include "model/discretized.h"

#include <sstream>

namespace lbb {

void throw_index_out_of_range(const char* model, uint64_t index, uint64_t size) {
  std::ostringstream os;
  os << model << ": symbol " << index << " outside [0, " << size << ")";
  throw CodingError(os.str());
}

void DiscretizedSymmetric::throw_bad_nbins(uint64_t n) {
  std::ostringstream os;
  os << "DiscretizedSymmetric: nbins = " << n << " outside [1, 2^62]";
  throw CodingError(os.str());
}

// The estimate i was wrong: C(i) > slot or C(i+1) ≤ slot.  Gallop away from i until the slot is
// bracketed, then bisect.  Invariant of the final loop: C(lo) ≤ slot < C(hi), lo < hi.
Lookup DiscretizedSymmetric::search(uint64_t slot, uint64_t i, uint64_t c0, uint64_t c1) const {
  uint64_t lo, hi, clo, chi;
  if (slot < c0) {
    hi = i;
    chi = c0;
    for (uint64_t step = 1;; step <<= 1) {
      lo = hi > step ? hi - step : 0;
      clo = cdf(lo);
      if (clo <= slot) break;  // terminates: C(0) = 0
      hi = lo;
      chi = clo;
    }
  } else {
    lo = i + 1;  // C(i+1) ≤ slot < 2^63 = C(n), so i + 1 < n
    clo = c1;
    for (uint64_t step = 1;; step <<= 1) {
      hi = n_ - lo > step ? lo + step : n_;
      chi = cdf(hi);
      if (chi > slot) break;  // terminates: C(n) = 2^63
      lo = hi;
      clo = chi;
    }
  }
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    const uint64_t cm = cdf(mid);
    if (cm <= slot) {
      lo = mid;
      clo = cm;
    } else {
      hi = mid;
      chi = cm;
    }
  }
  return Lookup{lo, clo, chi - clo};
}

}  // namespace lbb
