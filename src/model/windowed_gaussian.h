// A discretized Gaussian for local bits-back coding whose far tails cannot be *popped* by
// accident (thesis §3.5.1 assumes pops sample the Gaussian; DESIGN.md §4 requires every bin
// to stay codable).
//
// Why: DiscretizedGaussian gives every bin of its grid mass >= 1 out of 2^63. On the latent
// grid (2^44 bins at k = 32) that floor is 2^-19 of the probability, so about one pop in 2^19
// lands in a far-tail bin, hundreds of σ from the mean. Local bits-back pops tens of
// thousands of values per image; such a value derails every later layer and costs hundreds
// to thousands of bits (seen on the shipped model: ~1 image in 100).
//
// Coding: a window of bins W = mean ± kWindowScales·scale (clamped to the grid) holds the
// Gaussian, discretized on W alone, so its floor is |W|/2^63 (≈ 2^-42 for the local
// bits-back noise). A flag symbol of mass kEscapeMass/2^63 = 2^-43 is pushed last: if set,
// the bin lies outside W and is coded uniformly over the |grid| − |W| outside bins. Every
// bin of the grid stays codable (at most ~43 + log2|grid| bits outside W), and pops leave W
// with probability ≈ 2^-43 + |W|·2^-63.
// Encoder and decoder compute W from the same doubles with IEEE basic operations only.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "ans/message.h"
#include "model/discretized.h"
#include "model/grid.h"
#include "model/uniform.h"

namespace lbb {

inline constexpr double kWindowScales = 16.0;              // Gaussian mass beyond 16σ: < 2^-180
inline constexpr uint64_t kEscapeMass = uint64_t{1} << 20;  // P(outside W) = 2^-43

struct GaussianWindow {
  uint64_t first = 0;  // first bin of W
  uint64_t count = 0;  // |W| (0 when the mean lies far outside the grid)
};

// W = [⌊c − h⌋, ⌊c + h⌋] ∩ [0, n) with c the mean and h = kWindowScales·scale + 2 in grid steps.
// NaN or huge parameters give some valid window (the model is then simply poor).
inline GaussianWindow gaussian_window(double mean, double scale, const GridSpec& grid) {
  const double n = static_cast<double>(grid.nbins);
  const double to_steps = det_pow2(grid.k);
  double h = scale * to_steps * kWindowScales + 2.0;
  if (!(h < n)) return {0, grid.nbins};  // also NaN
  if (!(h >= 2.0)) h = 2.0;  // negative or −∞ scales: the narrowest window, as for scale 0
  double c = (mean - grid.lo) * to_steps;
  if (!(c >= -h)) c = -h;  // also NaN and −∞
  if (c > n + h) c = n + h;
  // c and h are finite here (found by fuzz_message: a −∞ scale once made them NaN).
  double lo = std::floor(c - h), hi = std::floor(c + h) + 1.0;
  lo = lo > 0 ? (lo < n ? lo : n) : 0.0;
  hi = hi > lo ? (hi < n ? hi : n) : lo;
  // double(nbins) may round up past nbins: clamp again in integers.
  const uint64_t first = std::min(static_cast<uint64_t>(lo), grid.nbins);
  const uint64_t last = std::min(static_cast<uint64_t>(hi), grid.nbins);
  return {first, last - first};
}

// Requires |lo| + nbins·2^-k < 2^(53−k) with lo a multiple of 2^-k (true of every grid of the
// coder), so that the window's left edge is exact.
inline GridSpec window_grid(const GridSpec& grid, const GaussianWindow& w) {
  return GridSpec{grid.lo + static_cast<double>(w.first) * det_pow2(-grid.k), grid.k, w.count};
}

inline void push_windowed_gaussian(Message& m, uint64_t index, double mean, double scale,
                                   const GridSpec& grid) {
  const GaussianWindow w = gaussian_window(mean, scale, grid);
  const uint64_t outside = grid.nbins - w.count;
  const bool inside = index - w.first < w.count;
  if (inside) {
    push_gaussian(m, index - w.first, mean, scale, window_grid(grid, w));
    if (outside > 0) m.push(kEscapeMass, ans::kTotal - kEscapeMass);
  } else {
    if (index >= grid.nbins) throw_index_out_of_range("windowed Gaussian", index, grid.nbins);
    push_uniform(m, index < w.first ? index : index - w.count, outside);
    if (w.count > 0) m.push(0, kEscapeMass);
  }
}

inline uint64_t pop_windowed_gaussian(Message& m, double mean, double scale, const GridSpec& grid) {
  const GaussianWindow w = gaussian_window(mean, scale, grid);
  const uint64_t outside = grid.nbins - w.count;
  bool inside = w.count > 0;
  if (inside && outside > 0) {
    inside = m.peek() >= kEscapeMass;
    if (inside) m.pop(kEscapeMass, ans::kTotal - kEscapeMass);
    else m.pop(0, kEscapeMass);
  }
  if (inside) return w.first + pop_gaussian(m, mean, scale, window_grid(grid, w));
  const uint64_t j = pop_uniform(m, outside);
  return j < w.first ? j : j + w.count;
}

}  // namespace lbb
