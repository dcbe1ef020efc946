// A static context model for 8-bit images, coded without bits-back ("direct" coding).
//
// Local bits-back coding must pop before it pushes, so the first images of a message need
// bits already on it (DESIGN.md §6). The first images of each stream are therefore coded
// with this model, whose bits then serve as the auxiliary bits for the flow-coded rest,
// and a single image costs about what a good classic codec would.
//
// Each subpixel x at (c, i, j), in raster order within its channel plane, is coded with a
// categorical distribution chosen by its causal neighbours W, N, NW, NE (same channel):
//   context = (c, activity level of |W−NW| + |N−NW| + |N−NE| (8 levels), MED(W, N, NW))
// where MED is the median edge detector of LOCO-I. Frequencies are counted on training
// images and smoothed toward a Laplacian around the prediction, so every symbol of every
// context has nonzero mass.
#pragma once

#include <cstdint>
#include <vector>

#include "ans/message.h"
#include "model/categorical.h"

namespace lbb {

class ContextImageModel {
 public:
  static constexpr int kLevels = 8;
  static constexpr int kSymbols = 256;
  static constexpr uint32_t kMaxFrequency = 1u << 24;  // frequencies are exact in float32

  // Counts contexts over `n` images of shape c×h×w (NCHW) and smooths them.
  static ContextImageModel fit(const uint8_t* images, uint64_t n, uint32_t c, uint32_t h, uint32_t w);
  // From stored frequencies: channels·kLevels·256 contexts × 256 symbols, each in [1, kMaxFrequency].
  // Throws std::invalid_argument on a wrong size or a value out of range.
  ContextImageModel(uint32_t channels, const std::vector<uint32_t>& frequencies);

  uint32_t channels() const { return channels_; }
  const std::vector<uint32_t>& frequencies() const { return freqs_; }

  // Pushes one c×h×w image (c == channels()); pop_image is its exact inverse.
  void push_image(Message& m, const uint8_t* image, uint32_t h, uint32_t w) const;
  void pop_image(Message& m, uint8_t* image, uint32_t h, uint32_t w) const;
  // −log2 P(image) under the model's integer masses.
  double image_bits(const uint8_t* image, uint32_t h, uint32_t w) const;

 private:
  ContextImageModel() = default;
  void build();
  uint32_t channels_ = 0;
  std::vector<uint32_t> freqs_;          // [context][symbol]; invariant: every value in [1, kMaxFrequency]
  std::vector<CategoricalModel> models_; // one per context, built from freqs_
};

// Context index of subpixel (i, j) of channel plane `plane` (h×w, row-major) of channel c.
uint32_t image_context(const uint8_t* plane, uint32_t h, uint32_t w, uint32_t i, uint32_t j, uint32_t c);

}  // namespace lbb
