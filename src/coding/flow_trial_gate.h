// Which tiles of a stream get a flow trial (encoder only: the decoder reads each tile's mode, so
// the gate is no part of the format).
//
// A flow trial encodes the whole tile with the flow and is rolled back when a direct coder
// costs fewer bits: on photographs the flow model fits poorly, most trials are rolled back
// (rgb validation photographs: 586 of 1,609 trials kept), and each costs a full flow encode.
// Whether the flow wins follows the direct coders' own cost d (bits per subpixel): on smooth
// tiles (small d) the adaptive coder is hard to beat. So the gate remembers, per bucket of d,
// how many of the stream's trials there were and how many bits per subpixel they saved
// against the direct coders (0 when the flow lost), and skips a tile when the trials of tiles
// with d within ±kNeighbourBuckets buckets of its own are at least kMinTrials and saved less
// than kMinSaving bits per subpixel on average. Every kExploreEvery-th skip in a row is tried
// all the same, so a stream whose content changes (a directory of different images) learns
// again. Everything is a function of the stream's own tiles in order: the same file on any
// thread count.
//
// Measured (docs/compression.md): on the RGB validation photographs 36 % fewer trials and 29 %
// less encode time for 0.006 % more bytes; the grey ones, where the flow wins 97 % of its
// trials, skip none.
#pragma once

#include <algorithm>
#include <cstdint>

namespace lbb {

class FlowTrialGate {
 public:
  static constexpr double kBucketWidth = 0.125;  // bits per subpixel
  static constexpr int kBuckets = 128;           // d ≥ 16 bits per subpixel share the last
  static constexpr int kNeighbourBuckets = 2;    // ±0.25 bits per subpixel
  static constexpr int64_t kMinTrials = 8;
  static constexpr double kMinSaving = 0.005;    // bits per subpixel
  static constexpr int kExploreEvery = 8;

  // Whether a tile whose direct coders cost `direct_bps` bits per subpixel gets a flow trial.
  // A skip is counted (skips in a row lead to the exploring trial).
  bool worth_trying(double direct_bps) {
    const int b = bucket(direct_bps);
    int64_t trials = 0;
    double saved = 0;
    for (int j = std::max(0, b - kNeighbourBuckets); j <= std::min(kBuckets - 1, b + kNeighbourBuckets); ++j) {
      trials += trials_[j];
      saved += saved_[j];
    }
    const bool skip = trials >= kMinTrials && saved < kMinSaving * static_cast<double>(trials) &&
                      skips_in_row_ < kExploreEvery - 1;
    skips_in_row_ = skip ? skips_in_row_ + 1 : 0;
    return !skip;
  }

  // A trial that borrowed nothing: the flow cost `flow_bps`, the direct coders `direct_bps`.
  void record(double direct_bps, double flow_bps) {
    const int b = bucket(direct_bps);
    ++trials_[b];
    saved_[b] += std::max(0.0, direct_bps - flow_bps);
  }

 private:
  static int bucket(double bps) {
    const double x = bps / kBucketWidth;
    return !(x >= 0) ? 0 : x >= kBuckets - 1 ? kBuckets - 1 : static_cast<int>(x);  // NaN → 0
  }

  int64_t trials_[kBuckets] = {};
  double saved_[kBuckets] = {};
  int skips_in_row_ = 0;
};

}  // namespace lbb
