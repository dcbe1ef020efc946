// An adaptive context model for 8-bit image tiles, coded without bits-back ("direct" coding).
//
// The codec's general-purpose coder for content the learned flow cannot code well
// (photographs, noise, stripes, checkerboards, constant areas, alpha planes). Nothing is
// trained: every call starts from the same fixed state and learns the tile as it goes, so
// tiles are independent and may be coded in any order and in parallel.
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

#include <cstdint>

#include "ans/message.h"

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

}  // namespace lbb
