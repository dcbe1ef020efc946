// Where the coding path spends its time (`lbb bench`): seconds and floating-point operations
// by part, added up only while a DetScratch carries a DetProfile; without one, each timer is a
// single pointer test.  Times are exclusive: a timer started inside another (a convolution
// inside a conditioner network) pauses the outer part, so the parts add up to the wall time
// measured between start() and stop().
#pragma once

#include <chrono>
#include <cstdint>

namespace lbb {

enum class DetPart : int {
  kOther = 0,          // outside every timer: layout changes, copies, the coder's glue
  kConvolution,        // DetConv (3×3 and 1×1, the attention's projections included)
  kAttention,          // self-attention's scores, softmax and weighted sums
  kNetworkOther,       // the networks' norms, activations and gates
  kCouplingTransform,  // the couplings' elementwise transforms (mixture CDF / inverse) and their coding
  kOtherLayers,        // actnorm, invertible 1×1, factor-out and latent priors, pre-/post-processing
};
inline constexpr int kDetParts = 6;
inline const char* det_part_name(DetPart p) {
  static const char* const names[kDetParts] = {"other (copies, glue)",      "convolutions",
                                               "attention",                 "norms, activations, gates",
                                               "coupling transforms+coding", "other layers+coding"};
  return names[static_cast<int>(p)];
}

struct DetProfile {
  using Clock = std::chrono::steady_clock;
  double seconds[kDetParts] = {};
  double flops[kDetParts] = {};
  int64_t gaussian_codings = 0;  // windowed-Gaussian pushes and pops (the entropy coding)
  DetPart active = DetPart::kOther;
  Clock::time_point since;

  void start() { since = Clock::now(), active = DetPart::kOther; }
  void stop() { switch_to(DetPart::kOther); }
  // Charges the time since the last switch to the active part; returns the part it was.
  DetPart switch_to(DetPart part) {
    const Clock::time_point now = Clock::now();
    seconds[static_cast<int>(active)] += std::chrono::duration<double>(now - since).count();
    since = now;
    const DetPart before = active;
    active = part;
    return before;
  }
  double total_seconds() const {
    double s = 0;
    for (double v : seconds) s += v;
    return s;
  }
  double total_flops() const {
    double f = 0;
    for (double v : flops) f += v;
    return f;
  }
};

// Charges its lifetime (and `flops`) to `part` of `profile`, if there is one.
class DetTimer {
 public:
  DetTimer(DetProfile* profile, DetPart part, double flops = 0) : profile_(profile) {
    if (!profile_) return;
    profile_->flops[static_cast<int>(part)] += flops;
    outer_ = profile_->switch_to(part);
  }
  ~DetTimer() {
    if (profile_) profile_->switch_to(outer_);
  }
  DetTimer(const DetTimer&) = delete;
  DetTimer& operator=(const DetTimer&) = delete;

 private:
  DetProfile* profile_;
  DetPart outer_ = DetPart::kOther;
};

}  // namespace lbb
