// An adaptive context model for 8-bit image tiles, coded without bits-back ("direct" coding).
//
// The codec's general-purpose coder for content the learned flow cannot code well
// (photographs, noise, stripes, checkerboards, constant areas, alpha planes). Nothing is
// trained: push/pop_adaptive_tile start from the same fixed state and learn the tile as it
// goes, so such tiles are independent; the carried form (below) continues one state over a
// stream's tiles.
//
// Per plane, in raster order, each sample x is predicted by the median edge detector of
// LOCO-I, MED(W, N, NW) (border rules as image_context() in context_image_model.cc; the
// first sample of a plane is predicted 128). For planes after the first, the previous
// plane's MED residual at the same position is added to the prediction (clamped to
// [0, 255]). The symbol coded is the residual (x − pred) mod 256 in zigzag order
// (0, −1, +1, −2, …), with a categorical distribution chosen by a context: the quantized
// "error energy" of the causal neighbourhood (gradients |W−NW|+|N−NW|+|N−NE|, the symbols
// coded at W and N and, for later planes, at the same position of the previous plane).
// Each context keeps adaptive integer frequencies over the 256 symbols (a fixed
// geometric prior that widens with the energy, every frequency ≥ 1, incremented after each
// symbol and halved when the total passes a limit). A context's total T is mapped onto the
// 2^63 range of the Message as q = ⌊2^63/T⌋, interval = (cum·q, f·q).
//
// ANS is a stack, so push_adaptive_tile runs forward over the tile recording every
// interval and then pushes them in reverse; pop_adaptive_tile pops forward.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ans/message.h"
#include "model/model.h"
#include "model/tile_border.h"

namespace lbb {

// Codes a tile of `channels` planes, each h×w row-major, planes consecutive (planar CHW).
// push_adaptive_tile then pop_adaptive_tile restores the message bit for bit and returns the
// same samples. An empty tile (channels, h or w = 0) codes nothing.
void push_adaptive_tile(Message& m, const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w);
// Throws CodingError (message unchanged since the last symbol popped, `tile` partly
// written) if the message holds a slot no symbol can have, i.e. it was not pushed by
// push_adaptive_tile with the same shape. Otherwise any message decodes to some tile.
void pop_adaptive_tile(Message& m, uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w);
// Exact codelength in bits of push_adaptive_tile (Σ −log2(freq/2^63) of the intervals it
// pushes), without touching a message.
double adaptive_tile_bits(const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w);

// ---- The same model carried across tiles (container version 4) ----------------------------------
// Two extensions for the many small tiles of one stream: the frequencies carry over from tile
// to tile (an AdaptiveState, one set per plane index, starting from the same fixed state), and
// the first row and column of a tile are predicted from samples just outside it that the
// decoder already has (a TileBorder; the border rules above apply where it has none).
// Its predictor differs from the independent coder's in three ways (−5.6 % bits on the RGB
// photo training and validation sets, −4.9 % grey): the mean error seen in the sample's bias
// context is added to the prediction (LOCO-I's bias cancellation; contexts: the gradients
// NE−N, N−NW, NW−W quantized to 9 levels each, times 5 levels of the reference plane's MED
// residual), while the context's samples vote that the correction gives them a higher
// frequency; a 3-plane tile codes G first, then R and B, each predicted with G's MED residual
// added; and the symbol coded at N joins the error energy.

// Adaptive frequencies of planes 0..kMaxPlanes-1, each set to the fixed starting state on first use.
class AdaptiveState {
 public:
  static constexpr uint32_t kMaxPlanes = 4;
  AdaptiveState();
  ~AdaptiveState();
  AdaptiveState(AdaptiveState&&) noexcept;
  AdaptiveState& operator=(AdaptiveState&&) noexcept;
  struct Plane;  // defined in the .cc
  Plane* plane(uint32_t c);

 private:
  std::unique_ptr<Plane> planes_[kMaxPlanes];
};

// Runs the model over `tile` (planar, channels ≤ kMaxPlanes) with `state`, which it updates;
// appends one interval per sample, in decoding order, to `intervals` (if not null; push them
// with push_intervals_reversed) and returns their exact bits.  Throws std::invalid_argument if
// `border` does not fit the tile.
double record_adaptive_tile(AdaptiveState& state, const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                            const TileBorder& border, std::vector<Interval>* intervals);
// Updates `state` as record_adaptive_tile does, coding nothing (a tile another coder decoded).
void learn_adaptive_tile(AdaptiveState& state, const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                         const TileBorder& border);
// Pops the tile those intervals code, given the state and border the encoder had; updates
// `state` as record_adaptive_tile did.  Throws CodingError on a slot no symbol has.
void pop_adaptive_tile(Message& m, AdaptiveState& state, uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                       const TileBorder& border);

}  // namespace lbb
