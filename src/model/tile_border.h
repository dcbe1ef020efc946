// The samples around a tile that a carried direct coder may predict its edges from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace lbb {

// Samples around an h×w tile, per plane, in the frame the tile is coded in (raster order):
// above[p·(w+2) + 0] is the sample above-left of the tile, [1 + j] the one above column j,
// [w + 1] the one above-right; left[p·h + i] the one left of row i.  A flag says which are known.
struct TileBorder {
  std::vector<uint8_t> above, left;
  bool has_above = false, has_corner = false, has_above_right = false, has_left = false;
};

// Throws std::invalid_argument (naming `coder`) unless `b` fits a tile of `channels` ≤
// `max_planes` planes of h×w.
inline void check_tile_border(const TileBorder& b, uint32_t channels, uint32_t max_planes, uint32_t h, uint32_t w,
                              const char* coder) {
  if (channels > max_planes || (b.has_above && b.above.size() < size_t{channels} * (w + 2)) ||
      (b.has_left && b.left.size() < size_t{channels} * h) || ((b.has_corner || b.has_above_right) && !b.has_above))
    throw std::invalid_argument(std::string(coder) + ": border does not fit the tile");
}

}  // namespace lbb
