// Tile geometry (DESIGN.md §9): the global tile order of a container's entries, copying tiles
// out of and into images, the neighbours a stream's decoder has seen around a tile, and the
// split of the tile list into streams.
//
// Order: entries in turn; within an entry, image by image; within an image, its colour-plane
// groups (tile_channels planes each) in turn, each a row-major grid of tiles, then its alpha
// plane's grid (format/container.h). Nothing per tile is stored: a tile is found from its index.
#pragma once

#include <cstdint>
#include <vector>

#include "format/container.h"
#include "io/images.h"
#include "model/tile_border.h"

namespace lbb {

// Side of the tiles of planes the flow does not code: large enough for the adaptive model to
// learn, small enough to spread one image over all cores.
inline constexpr uint32_t kDirectTileSide = 256;

// One tile: `planes` planes from `plane0` of image `image` of entry `entry`, rows y0.., columns x0...
struct Tile {
  uint32_t entry = 0, image = 0, plane0 = 0, planes = 1;
  uint32_t y0 = 0, x0 = 0, h = 1, w = 1;  // invariant: 1 ≤ h, w (edge tiles are cut, never padded)
  uint32_t cols = 1;  // tiles in a row of its plane group (the tile below is `cols` later)
  bool alpha = false;
  bool edge = false;  // a colour tile smaller than the entry's tile size
  uint64_t subpixels() const { return uint64_t{planes} * h * w; }
};

// The global tile order of a container's entries, by index arithmetic. Holds a reference to
// `entries`, which must outlive it.
class TileIndex {
 public:
  explicit TileIndex(const std::vector<ContainerImage>& entries);
  uint64_t size() const { return first_.back(); }
  Tile at(uint64_t t) const;  // t < size()

 private:
  const std::vector<ContainerImage>& entries_;
  std::vector<uint64_t> first_;  // first_[e] = index of entry e's first tile; first_.back() = size()
};

// An entry's samples in ImageItem's layout (image after image, plane after plane, rows top to
// bottom) through a pointer: the decoder's planes live in lazily backed memory, not in items.
struct PlanesView {
  uint8_t* data = nullptr;
  uint32_t channels = 1, h = 1, w = 1;
  // A view of `item` (read through it only: carried_border).
  static PlanesView of(const ImageItem& item) {
    return {const_cast<uint8_t*>(item.pixels.data()), item.channels, item.h, item.w};
  }
};

// The tile's samples, plane after plane, each row-major (t.subpixels() bytes).
void copy_tile_out(const ImageItem& item, const Tile& t, uint8_t* out);
void copy_tile_in(const PlanesView& planes, const Tile& t, const uint8_t* in);

// The samples around tile `ti` (global index) that the decoder of a stream starting at tile
// `first` has when it reaches the tile (decoding first tile first: container version ≥ 4).
TileBorder carried_border(const PlanesView& planes, const Tile& t, uint64_t ti, uint64_t first);

// The tile counts of S streams (runs of consecutive tiles) that hold about equal subpixels.
std::vector<uint64_t> stream_tile_counts(const TileIndex& tiles, uint64_t total_subpixels, uint32_t streams);

}  // namespace lbb
