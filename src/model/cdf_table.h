// Integer CDF of a symmetric continuous distribution (standard normal, standard logistic),
// Ψ(t) ≈ 2^63·F(t), that is *nondecreasing in t by construction* and bit-identical on every
// platform.  It is the building block of the discretized Gaussian/logistic (DESIGN.md §4–5).
//
// Construction.  Let a = |t| clamped to [0, U].  w = ⌊a·2^52⌋ is an integer (exact, monotone in a).
// The lower half F(−a), a ∈ [0, U], is cut into U·2^7 pieces of width h = 2^-7; position
// v = U·2^52 − w selects piece j = v >> 45 and offset x = v mod 2^45 ∈ [0, 2^45).  Inside a piece
//       P(v) = T_j + ⌊x·(B_j + ⌊x·C_j / 2^45⌋) / 2^45⌋               (all integer arithmetic)
// with T_j = round(2^63·F(−a_j)), and B_j, C_j ≥ 0 chosen so that the quadratic passes through
// T_j, T_{j+1} = T_j + B_j + C_j and (approximately) the midpoint value; C_j ≥ 0 because F is
// convex on t ≤ 0 (clamped to [0, T_{j+1}−T_j] regardless).  Nonnegative coefficients make P
// nondecreasing in x, and P(x) < T_{j+1} for x < 2^45, so P is nondecreasing in v across pieces.
// The upper half is mirrored: Ψ(t) = P for t < 0 and 2^63 − P for t ≥ 0, with P(a=0) = 2^62.
//
// Contracts:
//  (T1) Ψ is a nondecreasing function of the double t, with Ψ(−t) = 2^63 − Ψ(t) for t ≠ 0,
//       Ψ(0) = 2^62, Ψ(t) ∈ [0, 2^63]; NaN is treated as +U (never UB).
//  (T2) The table integers depend only on the det_math functions (IEEE basic operations), so Ψ is
//       the same on every IEEE-754 machine; a golden checksum test guards this.
//  (T3) |Ψ(t) − 2^63·F(t)| / (2^63·F(−|t|)) is small (≈1e-6 near the centre, see tests): the
//       quadratic pieces make the implied density piecewise linear.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ans/message.h"

namespace lbb {

class SymmetricCdfTable {
 public:
  static constexpr int kFracBits = 52;                 // t is quantised to multiples of 2^-52
  static constexpr int kLog2PiecesPerUnit = 7;         // h = 2^-7
  static constexpr int kPieceShift = kFracBits - kLog2PiecesPerUnit;  // 45
  static constexpr uint64_t kOffsetMask = (uint64_t{1} << kPieceShift) - 1;
  static constexpr uint64_t kScale = uint64_t{1} << 63;  // Ψ(+∞)
  static constexpr uint64_t kHalf = uint64_t{1} << 62;   // Ψ(0)
  static constexpr double kTwoPowFrac = 4503599627370496.0;  // 2^52

  // lower_tail(a) = F(−a) for a ≥ 0; range_units = U (F(−U)·2^63 should round to 0).
  SymmetricCdfTable(double (*lower_tail)(double), int range_units);

  // Ψ(t), contract (T1).  Hot path.
  uint64_t psi(double t) const {
    double a = t < 0 ? -t : t;
    if (!(a < u_max_)) a = u_max_;  // also maps NaN to U
    const uint64_t w = static_cast<uint64_t>(static_cast<int64_t>(a * kTwoPowFrac));
    const uint64_t v = w_max_ - w;
    const Piece& p = pieces_[v >> kPieceShift];
    const uint64_t x = v & kOffsetMask;
    const uint64_t inner = p.b + static_cast<uint64_t>((u128{x} * p.c) >> kPieceShift);
    const uint64_t lower = p.t0 + static_cast<uint64_t>((u128{x} * inner) >> kPieceShift);
    return t < 0 ? lower : kScale - lower;
  }

  // Approximate inverse: returns t with Ψ(t) ≈ target (target ∈ [0, 2^63]) and stores
  // dΨ/dt there in *density.  Only used to *estimate* a bin; decisions are made with psi().
  double inverse(uint64_t target, double* density) const {
    if (target > kScale) target = kScale;
    const bool upper = target >= kHalf;
    const uint64_t v = upper ? kScale - target : target;  // ≤ 2^62
    size_t j = bucket_[static_cast<size_t>(bucket_of(v))];
    j += pieces_[j + 1].t0 <= v;  // usually enough (branch-free) ...
    while (pieces_[j + 1].t0 <= v) ++j;  // ... else scan; the sentinel stops at the last piece
    const Piece& p = pieces_[j];
    const double d = static_cast<double>(static_cast<int64_t>(v - p.t0));
    const double b = static_cast<double>(static_cast<int64_t>(p.b));
    const double c = static_cast<double>(static_cast<int64_t>(p.c));
    // Solve c·ξ² + b·ξ = d for ξ ∈ [0, 1] in the cancellation-free form.
    const double den = b + std::sqrt(b * b + 4.0 * c * d);
    double xi = den > 0 ? 2.0 * d / den : 0.0;
    if (xi > 1.0) xi = 1.0;
    // Piece j starts at a_j = U − j·h, and a decreases as ξ grows: a = U − (j + ξ)·h.
    constexpr double h = 1.0 / (1 << kLog2PiecesPerUnit);
    const double a = u_max_ - (static_cast<double>(static_cast<int64_t>(j)) + xi) * h;
    *density = (b + 2.0 * c * xi) * (1 << kLog2PiecesPerUnit);
    return upper ? a : -a;
  }

  // Fast approximate inverse for the bin estimate: |t| from a quadratic in v fitted per bucket
  // of relative width 2^-7 to inverse() (error ≲ 1e-8 in t near the centre).  target ∈ [0, 2^63].
  double quick_inverse(double target) const {
    const bool upper = target >= 4611686018427387904.0;            // 2^62
    const double v = upper ? 9223372036854775808.0 - target : target;  // exact (Sterbenz)
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    int64_t b = static_cast<int64_t>(bits >> kQuickShift) - kQuickBase;
    b = b < 0 ? 0 : b;
    const QuickBucket& q = quick_[static_cast<size_t>(b)];
    const double delta = v - q.low;
    const double a = q.a0 + delta * (static_cast<double>(q.a1) + delta * static_cast<double>(q.a2));
    return upper ? a : -a;
  }

  // For tests: number of pieces, the raw integers, and the worst piece scan of inverse().
  size_t num_pieces() const { return pieces_.size() - 1; }
  uint64_t knot(size_t j) const { return pieces_[j].t0; }
  uint64_t checksum() const;  // FNV-1a over all (T, B, C)
  int max_scan() const { return max_scan_; }
  double range() const { return u_max_; }

 private:
  struct Piece {
    uint64_t t0;  // T_j = P at the start of the piece; nondecreasing in j
    uint64_t b;   // linear coefficient, ≥ 0
    uint64_t c;   // quadratic coefficient, ≥ 0;  b + c = T_{j+1} − T_j
  };
  static constexpr int kBucketMantBits = 8;
  static int bucket_of(uint64_t v) {
    if (v < (uint64_t{1} << kBucketMantBits)) return 0;
    const int e = 63 - __builtin_clzll(v);
    return ((e - kBucketMantBits + 1) << kBucketMantBits) +
           static_cast<int>((v >> (e - kBucketMantBits)) & ((1u << kBucketMantBits) - 1));
  }

  // Quick-inverse buckets: bucket = (bit pattern of v >> 45) − kQuickBase, i.e. the exponent
  // and top 7 mantissa bits of v (monotone in v ≥ 0); bucket 0 also holds v < 128.
  static constexpr int kQuickShift = 45;
  static constexpr int64_t kQuickBase = int64_t{1023 + 7} << 7;
  struct QuickBucket {
    double low;  // smallest v of the bucket
    double a0;   // |t| at v = low
    float a1, a2;  // |t| ≈ a0 + δ·(a1 + δ·a2), δ = v − low
  };
  std::vector<QuickBucket> quick_;

  double u_max_;                 // U, the clamp for |t|
  uint64_t w_max_;               // U·2^52; v = w_max_ − w ∈ [0, w_max_]
  std::vector<Piece> pieces_;    // J+1 pieces (the last is the single point a = 0) + sentinel
  std::vector<uint16_t> bucket_; // bucket_of(v) → largest j with T_j ≤ (smallest v in bucket)
  int max_scan_ = 0;             // max pieces inverse() steps over after the bucket lookup
};

// The shared tables (built on first use, thread-safe).
const SymmetricCdfTable& normal_cdf_table();    // F = Φ, U = 10
const SymmetricCdfTable& logistic_cdf_table();  // F = 1/(1+e^{−t}), U = 48

}  // namespace lbb
