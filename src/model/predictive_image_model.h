// The predictive direct coder of 8-bit image tiles (container version 8): the carried coder
// of a stream's colour tiles, in place of the adaptive frequencies of adaptive_image_model.h.
//
// Per plane, in raster order (a 3-plane tile codes G, then R, then B; other tiles their planes
// in order), each sample x is coded with a discretized logistic over the 256 values whose
// mean and scale come from the samples decoded before it:
//  * mean: a blend of up to 12 predictions (MED, gradients, averages of W, N, NE, NW, NN, WW
//    and, for later planes, the first plane's — and for the third, the second's — value here
//    plus the plane's difference to it at N, W, NE, NW), each weighted by 1/s² with s the
//    sum of its absolute errors at the neighbouring positions of this tile (the "weighted
//    predictor" idea of JPEG XL's modular mode; ours is a plain inverse-square blend). Then a
//    bias correction: each context of quantized local gradients keeps the mean error left
//    after its correction, and adds it (it settles at about half the raw bias: a shrunk
//    estimate, which measured better than the full one on the training photographs).
//  * scale: the context's "error energy" (the blend's absolute errors at the neighbours, the
//    local gradients and, for later planes, the first plane's error here) picks one of 32
//    buckets; each keeps the mean absolute error of its samples, and a logistic with that mean
//    absolute deviation (scale = MAD / (2 ln 2), at least 0.15) codes the sample.
// The integer CDF is DiscretizedLogistic's (model/discretized.h): every value keeps a nonzero
// mass, and encoder and decoder build it from the same doubles, which come from IEEE basic
// operations only (no transcendental function), so the coder is exact on every machine.
// The bucket and bias statistics carry over from tile to tile (PredictiveState, one set per
// plane index); the neighbours' errors are the tile's own (a tile starts without them); the
// first row and column are predicted from the samples around the tile (TileBorder).
//
// Chosen on the RGB and grey photo training sets of scripts/photo_data.sh (whole photographs:
// −8.7 % bits against the version-4 carried coder on RGB, −5.6 % on grey).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ans/message.h"
#include "model/model.h"
#include "model/tile_border.h"

namespace lbb {

// The statistics of planes 0..kMaxPlanes-1 (in coding order), each set to the fixed starting
// state on first use.
class PredictiveState {
 public:
  static constexpr uint32_t kMaxPlanes = 4;
  PredictiveState();
  ~PredictiveState();
  PredictiveState(PredictiveState&&) noexcept;
  PredictiveState& operator=(PredictiveState&&) noexcept;
  struct Plane;  // defined in the .cc
  Plane* plane(uint32_t c);

 private:
  std::unique_ptr<Plane> planes_[kMaxPlanes];
};

// Runs the model over `tile` (planar, channels ≤ kMaxPlanes) with `state`, which it updates;
// appends one interval per sample, in decoding order, to `intervals` (if not null) and returns
// their exact bits (push them with push_intervals_reversed of model/model.h). Throws
// std::invalid_argument if `border` does not fit the tile.
double record_predictive_tile(PredictiveState& state, const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                              const TileBorder& border, std::vector<Interval>* intervals);
// Updates `state` as record_predictive_tile does, coding nothing (a tile another coder decoded).
void learn_predictive_tile(PredictiveState& state, const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                           const TileBorder& border);
// Pops the tile those intervals code, given the state and border the encoder had; updates
// `state` as record_predictive_tile did. Any message decodes to some tile.
void pop_predictive_tile(Message& m, PredictiveState& state, uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                         const TileBorder& border);

}  // namespace lbb
