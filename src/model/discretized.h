// Discretized location–scale distributions (Gaussian, logistic) on a GridSpec — the models that
// local bits-back coding pushes and pops for every coordinate (thesis §3.5.1, eq. 3.20–3.24).
//
// For bin edges e_i = lo + i·2^-k (i = 0..n) let t_i = (e_i − μ)/s, computed as
//     t_i = (double(i) − m)·(1/σ),   m = (μ − lo)·2^k,  σ = s·2^k  (mean and scale in grid steps).
// The integer CDF is
//     C(0) = 0,  C(n) = 2^63,  C(i) = i + ⌊Ψ(t_i)·(2^63 − n) / 2^63⌋   (0 < i < n)
// with Ψ the monotone integer CDF of cdf_table.h.  So the tails beyond the range fold into the
// first and last bins, and every bin gets mass ≥ 1.
//
// Contracts:
//  (D1) C is strictly increasing for *any* double inputs: t_i is a composition of monotone IEEE
//       operations of i, Ψ is nondecreasing (T1), and the "+i" term adds 1 per bin.  Non-finite
//       or out-of-range parameters are clamped (m to ±2^62, σ to [2^-40, 2^60] grid steps, NaN to
//       the lower bound) so the model stays valid; the result is then simply a poor model.
//  (D2) Encoder and decoder that construct the model from the same (mean, scale, grid) doubles
//       get the same integers on every IEEE-754 machine (no transcendental call on this path).
//  (D3) find() = estimate from the inverse of Ψ + exact local correction (galloping then
//       bisection around the estimate); it never trusts the estimate.
//  (D4) Resolution: t is quantised to 2^-52, so bins narrower than that in t (σ ≳ 2^48 grid
//       steps) start to share mass unevenly; accuracy targets hold for σ ≤ 2^44 grid steps.
//  nbins must be in [1, 2^62] (checked by the constructor).
#pragma once

#include <cstdint>

#include "ans/message.h"
#include "model/cdf_table.h"
#include "model/grid.h"
#include "model/model.h"

namespace lbb {

class DiscretizedSymmetric {
 public:
  static constexpr double kMinScaleSteps = 9.094947017729282e-13;  // 2^-40
  static constexpr double kMaxScaleSteps = 1.152921504606846976e18;  // 2^60
  static constexpr double kMaxMeanSteps = 4.611686018427387904e18;   // 2^62
  static constexpr double kLargeScaleSteps = 1048576.0;               // 2^20

  DiscretizedSymmetric(const SymmetricCdfTable& table, double mean, double scale,
                       const GridSpec& grid)
      : table_(&table), n_(grid.nbins), spread_(ans::kTotal - grid.nbins) {
    if (grid.nbins == 0 || grid.nbins > (uint64_t{1} << 62)) throw_bad_nbins(grid.nbins);
    const double step_inv = det_pow2(grid.k);
    double m = (mean - grid.lo) * step_inv;
    if (!(m >= -kMaxMeanSteps)) m = -kMaxMeanSteps;  // also NaN
    if (m > kMaxMeanSteps) m = kMaxMeanSteps;
    double s = scale * step_inv;
    if (!(s >= kMinScaleSteps)) s = kMinScaleSteps;  // also NaN, ≤ 0
    if (s > kMaxScaleSteps) s = kMaxScaleSteps;
    m_ = m;
    s_ = s;
    inv_s_ = 1.0 / s;
  }

  uint64_t size() const { return n_; }

  // C(i) for i ∈ [0, n]; C(i) = 2^63 for i ≥ n.
  uint64_t cdf(uint64_t i) const {
    const double t = (static_cast<double>(static_cast<int64_t>(i)) - m_) * inv_s_;
    const uint64_t g = static_cast<uint64_t>((u128{table_->psi(t)} * spread_) >> 63);
    uint64_t c = i + g;
    c = i == 0 ? 0 : c;
    c = i >= n_ ? ans::kTotal : c;
    return c;
  }

  Interval interval(uint64_t i) const {
    if (i >= n_) throw_index_out_of_range("DiscretizedSymmetric", i, n_);
    const uint64_t c0 = cdf(i);
    const uint64_t c1 = cdf(i + 1);
    return Interval{c0, c1 - c0};
  }

  Lookup find(uint64_t slot) const {
    const uint64_t i = estimate(slot);
    const uint64_t c0 = cdf(i);
    const uint64_t c1 = cdf(i + 1);
    if (slot >= c0 && slot < c1) return Lookup{i, c0, c1 - c0};
    return search(slot, i, c0, c1);
  }

  // The inverse-CDF estimate of the bin holding `slot` (public for tests/benchmarks).
  uint64_t estimate(uint64_t slot) const {
    // Ψ-target: (slot − i)·2^63/(2^63 − n), with the unknown i ("+i" term of C) replaced by the
    // mean's position; 2^63/(2^63 − n) ≈ 1 + n/2^63 (this is only an estimate).
    const double n = static_cast<double>(static_cast<int64_t>(n_));
    const double mc = m_ < 0 ? 0 : (m_ > n ? n : m_);
    const double target =
        (static_cast<double>(static_cast<int64_t>(slot)) - mc) * (1.0 + n * 0x1p-63);
    const double tc = !(target > 0) ? 0.0 : target > 0x1p63 ? 0x1p63 : target;
    double x;
    if (s_ <= kLargeScaleSteps) {
      // Quick path: error ≲ 1e-8 in t, i.e. ≲ 0.01 bins at this scale.
      x = m_ + table_->quick_inverse(tc) * s_;  // the continuous edge position in grid steps
    } else {
      // Exact inverse of the interpolant, plus the first-order fix for using mc instead of i:
      // i + Ĝ(i) = slot with Ĝ' = g per bin gives i ≈ x + (mc − x)/(1+g).
      double density;
      const double t = table_->inverse(static_cast<uint64_t>(tc), &density);
      x = m_ + t * s_;
      const double g = density * (1.0 - n * 0x1p-63) * inv_s_;
      x += (mc - x) / (1.0 + g);
    }
    if (!(x > 0)) return 0;
    if (x >= n - 1) return n_ - 1;
    return static_cast<uint64_t>(x);
  }

  double mean_steps() const { return m_; }
  double scale_steps() const { return s_; }

 private:
  Lookup search(uint64_t slot, uint64_t i, uint64_t c0, uint64_t c1) const;  // slow path
  [[noreturn]] static void throw_bad_nbins(uint64_t n);

  const SymmetricCdfTable* table_;
  double m_;          // mean in grid steps from lo, ∈ [−2^62, 2^62]
  double s_;          // scale in grid steps, ∈ [2^-40, 2^60]
  double inv_s_;      // 1/s_ (correctly rounded, so identical on every machine)
  uint64_t n_;        // number of bins, ∈ [1, 2^62]
  uint64_t spread_;   // 2^63 − n_: the mass shared out by Ψ (each bin also gets 1)
};

// Discretized N(mean, scale²) on the grid.
class DiscretizedGaussian : public DiscretizedSymmetric {
 public:
  DiscretizedGaussian(double mean, double scale, const GridSpec& grid)
      : DiscretizedSymmetric(normal_cdf_table(), mean, scale, grid) {}
};

// Discretized logistic(mean, scale) on the grid (CDF 1/(1+exp(−(x−mean)/scale))).
class DiscretizedLogistic : public DiscretizedSymmetric {
 public:
  DiscretizedLogistic(double mean, double scale, const GridSpec& grid)
      : DiscretizedSymmetric(logistic_cdf_table(), mean, scale, grid) {}
};

// Hot-loop entry points (no heap allocation).
inline void push_gaussian(Message& m, uint64_t index, double mean, double scale,
                          const GridSpec& grid) {
  push_symbol(m, DiscretizedGaussian(mean, scale, grid), index);
}
inline uint64_t pop_gaussian(Message& m, double mean, double scale, const GridSpec& grid) {
  return pop_symbol(m, DiscretizedGaussian(mean, scale, grid));
}
inline void push_logistic(Message& m, uint64_t index, double mean, double scale,
                          const GridSpec& grid) {
  push_symbol(m, DiscretizedLogistic(mean, scale, grid), index);
}
inline uint64_t pop_logistic(Message& m, double mean, double scale, const GridSpec& grid) {
  return pop_symbol(m, DiscretizedLogistic(mean, scale, grid));
}

// Codec objects for the combinators in src/codec (Codec<uint64_t>).
struct GaussianCodec {
  double mean;
  double scale;
  GridSpec grid;
  void push(Message& m, uint64_t index) const { push_gaussian(m, index, mean, scale, grid); }
  uint64_t pop(Message& m) const { return pop_gaussian(m, mean, scale, grid); }
};

struct LogisticCodec {
  double mean;
  double scale;
  GridSpec grid;
  void push(Message& m, uint64_t index) const { push_logistic(m, index, mean, scale, grid); }
  uint64_t pop(Message& m) const { return pop_logistic(m, mean, scale, grid); }
};

}  // namespace lbb
