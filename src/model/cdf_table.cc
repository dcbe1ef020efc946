#include "model/cdf_table.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "model/det_math.h"

namespace lbb {

namespace {
uint64_t bits_of(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}
double from_bits(uint64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}
uint64_t scaled_round(double f) {  // round(2^63·f) for f ∈ [0, 1/2]
  const double x = f * 9223372036854775808.0;
  return static_cast<uint64_t>(x + 0.5);
}
}  // namespace

SymmetricCdfTable::SymmetricCdfTable(double (*lower_tail)(double), int range_units)
    : u_max_(static_cast<double>(range_units)),
      w_max_(static_cast<uint64_t>(range_units) << kFracBits) {
  if (range_units < 1 || range_units > 60) throw std::invalid_argument("SymmetricCdfTable: range");
  const size_t J = static_cast<size_t>(range_units) << kLog2PiecesPerUnit;
  const double h = 1.0 / (1 << kLog2PiecesPerUnit);
  std::vector<uint64_t> knots(J + 1), mids(J);
  for (size_t j = 0; j <= J; ++j) {
    const double a = u_max_ - static_cast<double>(j) * h;  // exact (dyadic)
    knots[j] = j == J ? kHalf : scaled_round(lower_tail(a));
    if (j < J) mids[j] = scaled_round(lower_tail(a - 0.5 * h));
  }
  for (size_t j = 1; j <= J; ++j)  // F is increasing; rounding cannot break that, but be sure
    if (knots[j] < knots[j - 1]) knots[j] = knots[j - 1];
  pieces_.resize(J + 2);
  for (size_t j = 0; j < J; ++j) {
    const int64_t delta = static_cast<int64_t>(knots[j + 1] - knots[j]);
    const int64_t mid = static_cast<int64_t>(mids[j]) - static_cast<int64_t>(knots[j]);
    // Quadratic through (0, 0), (1/2, mid), (1, delta):  B·ξ + C·ξ², C = 2·delta − 4·mid.
    int64_t c = 2 * delta - 4 * mid;
    if (c < 0) c = 0;
    if (c > delta) c = delta;
    pieces_[j] = Piece{knots[j], static_cast<uint64_t>(delta - c), static_cast<uint64_t>(c)};
  }
  pieces_[J] = Piece{kHalf, 0, 0};
  pieces_[J + 1] = Piece{~uint64_t{0}, 0, 0};  // sentinel for inverse()

  // Buckets over v ∈ [0, 2^62] for the inverse.
  const int nb = bucket_of(kHalf) + 1;
  bucket_.resize(static_cast<size_t>(nb));
  size_t j = 0;
  for (int b = 0; b < nb; ++b) {
    uint64_t low = 0;
    if (b >= (1 << kBucketMantBits)) {
      const int e = (b >> kBucketMantBits) + kBucketMantBits - 1;
      const uint64_t mant = static_cast<uint64_t>(b & ((1 << kBucketMantBits) - 1));
      low = ((uint64_t{1} << kBucketMantBits) | mant) << (e - kBucketMantBits);
    }
    while (j < J && pieces_[j + 1].t0 <= low) ++j;
    bucket_[static_cast<size_t>(b)] = static_cast<uint16_t>(j);
  }
  // Worst scan: for each bucket, how far the largest v of the bucket is from its start piece.
  for (int b = 0; b + 1 < nb; ++b) {
    size_t k = bucket_[static_cast<size_t>(b)];
    const size_t end = bucket_[static_cast<size_t>(b + 1)];
    if (static_cast<int>(end - k) > max_scan_) max_scan_ = static_cast<int>(end - k);
  }

  // Quick-inverse buckets from the exact inverse at the two ends and the middle of each bucket.
  const int64_t last = static_cast<int64_t>(bits_of(4611686018427387904.0) >> kQuickShift) - kQuickBase;
  quick_.resize(static_cast<size_t>(last + 1));
  for (int64_t q = 0; q <= last; ++q) {
    const double lo = q == 0 ? 0.0 : from_bits(static_cast<uint64_t>(q + kQuickBase) << kQuickShift);
    const double hi = from_bits(static_cast<uint64_t>(q + 1 + kQuickBase) << kQuickShift);
    double dens;
    auto abs_t = [&](double v) {
      return -inverse(static_cast<uint64_t>(v), &dens);  // v ≤ 2^62: the lower half, t = −a
    };
    const double w = hi - lo;
    const double f0 = abs_t(lo), fm = abs_t(lo + 0.5 * w), f1 = abs_t(q == last ? lo : hi);
    // Quadratic through (0, f0), (w/2, fm), (w, f1).
    const double c2 = q == last ? 0.0 : 2.0 * (f1 - 2.0 * fm + f0) / (w * w);
    const double c1 = q == last ? 0.0 : (f1 - f0) / w - c2 * w;
    quick_[static_cast<size_t>(q)] = QuickBucket{lo, f0, static_cast<float>(c1), static_cast<float>(c2)};
  }
}

uint64_t SymmetricCdfTable::checksum() const {
  uint64_t h = 0xCBF29CE484222325ull;
  auto mix = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 0x100000001B3ull;
    }
  };
  for (size_t j = 0; j + 1 < pieces_.size(); ++j) {
    mix(pieces_[j].t0);
    mix(pieces_[j].b);
    mix(pieces_[j].c);
  }
  return h;
}

const SymmetricCdfTable& normal_cdf_table() {
  static const SymmetricCdfTable table(&det_normal_lower_tail, 10);
  return table;
}

namespace {
double logistic_lower_tail(double a) { return det_logistic_cdf(-a); }
}  // namespace

const SymmetricCdfTable& logistic_cdf_table() {
  static const SymmetricCdfTable table(&logistic_lower_tail, 48);
  return table;
}

}  // namespace lbb
