// Encoder planning (nothing here is part of the format: the decoder reads the plan from the
// container). Per image: tiles of the flow's shape or large direct tiles, whichever a
// measurement on its middle says codes it in fewer bits, and its palette indices instead of its
// colours when they cost less; the number of streams; and the flow-or-direct bits of sampled
// tiles (for choosing a model among several).
#pragma once

#include <cstdint>
#include <vector>

#include "coding/tile_modes.h"
#include "coding/tiles.h"
#include "det/det_flow.h"
#include "format/container.h"
#include "io/images.h"

namespace lbb {

// Inputs of fewer subpixels than this are coded as one stream by default (CompressOptions::streams).
inline constexpr uint64_t kOneStreamSubpixels = uint64_t{1} << 18;

// The container entries for `items`, and the planes each entry's tiles address: the image, or
// its palette indices (then alpha) when that codes in fewer bits. `prefer_flow`: flow tiles
// wherever the flow can code them.
struct CodingPlan {
  std::vector<ContainerImage> entries;
  std::vector<ImageItem> index_items;   // the palette entries' planes
  std::vector<const ImageItem*> coded;  // per entry: an item of `items` or of index_items
};
CodingPlan plan_entries(const TileCoder& tc, const std::vector<ImageItem>& items, bool prefer_flow);

// Streams for `subpixels` in `tiles` tiles: `requested` if positive, else 2 per 2^24 subpixels
// (1 below kOneStreamSubpixels); at least 1, at most the tile count and kMaxStreams.
uint32_t plan_stream_count(uint64_t subpixels, uint64_t tiles, int requested);

// Full colour tiles of the flow's shape in `item`: a deterministic sample of up to `max_tiles`
// of them (the middles of equal parts).
std::vector<Tile> sample_tiles(const TileCoder& tc, const ImageItem& item, int max_tiles);

// Bits of flow tile `t` of `item` coded by the flow (on a scratch message holding the bits it
// pops first) or by the best direct coder, whichever is cheaper, mode flag included (the
// carried coders' `carried` choice, or if null theirs on the tile alone).
double flow_or_direct_bits(const TileCoder& tc, const ImageItem& item, const Tile& t, std::vector<uint8_t>* buf,
                           DetScratch& scratch, const CarriedCoders::Choice* carried = nullptr);

// Palette entries back to their colours (decoder); throws CodingError on an index past the palette.
void expand_palette(const ContainerImage& e, const ImageItem& indices, ImageItem* out);

}  // namespace lbb
