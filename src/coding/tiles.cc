#include "coding/tiles.h"

#include <algorithm>

#include "common/assert.h"

namespace lbb {

namespace {

uint8_t* plane_of(const PlanesView& v, uint32_t image, uint32_t plane) {
  return v.data + (size_t{image} * v.channels + plane) * v.h * v.w;
}
const uint8_t* plane_of(const ImageItem& item, uint32_t image, uint32_t plane) {
  return item.pixels.data() + (size_t{image} * item.channels + plane) * item.h * item.w;
}

}  // namespace

TileIndex::TileIndex(const std::vector<ContainerImage>& entries) : entries_(entries) {
  first_.reserve(entries.size() + 1);
  first_.push_back(0);
  for (const ContainerImage& e : entries) first_.push_back(first_.back() + e.tiles());
}

Tile TileIndex::at(uint64_t t) const {
  LBB_ASSERT(t < size());
  const size_t e = static_cast<size_t>(std::upper_bound(first_.begin(), first_.end(), t) - first_.begin() - 1);
  const ContainerImage& ent = entries_[e];
  const uint64_t local = t - first_[e];
  const uint64_t per_image = ent.tiles_per_image();
  Tile tile;
  tile.entry = static_cast<uint32_t>(e);
  tile.image = static_cast<uint32_t>(local / per_image);
  uint64_t j = local % per_image;
  const uint64_t colour = ent.colour_tiles_per_image();
  uint32_t th = ent.tile_h, tw = ent.tile_w;
  if (j < colour) {
    const uint64_t grid = colour / (ent.coded_colour_planes() / ent.tile_channels);
    tile.plane0 = static_cast<uint32_t>(j / grid) * ent.tile_channels;
    tile.planes = ent.tile_channels;
    j %= grid;
  } else {
    j -= colour;
    tile.alpha = true;
    tile.plane0 = ent.coded_colour_planes();
    tile.planes = 1;
    th = ent.alpha_tile_h, tw = ent.alpha_tile_w;
  }
  const uint32_t cols = (ent.w + tw - 1) / tw;
  tile.cols = cols;
  tile.y0 = static_cast<uint32_t>(j / cols) * th;
  tile.x0 = static_cast<uint32_t>(j % cols) * tw;
  tile.h = std::min(th, ent.h - tile.y0);
  tile.w = std::min(tw, ent.w - tile.x0);
  tile.edge = !tile.alpha && (tile.h != th || tile.w != tw);
  LBB_ASSERT(tile.y0 < ent.h && tile.x0 < ent.w && tile.h >= 1 && tile.w >= 1);  // cut, never padded
  return tile;
}

void copy_tile_out(const ImageItem& item, const Tile& t, uint8_t* out) {
  for (uint32_t p = 0; p < t.planes; ++p) {
    const uint8_t* plane = plane_of(item, t.image, t.plane0 + p);
    for (uint32_t y = 0; y < t.h; ++y) {
      const uint8_t* row = plane + size_t{t.y0 + y} * item.w + t.x0;
      std::copy(row, row + t.w, out + (size_t{p} * t.h + y) * t.w);
    }
  }
}

void copy_tile_in(const PlanesView& item, const Tile& t, const uint8_t* in) {
  for (uint32_t p = 0; p < t.planes; ++p) {
    uint8_t* plane = plane_of(item, t.image, t.plane0 + p);
    for (uint32_t y = 0; y < t.h; ++y) {
      const uint8_t* row = in + (size_t{p} * t.h + y) * t.w;
      std::copy(row, row + t.w, plane + size_t{t.y0 + y} * item.w + t.x0);
    }
  }
}

TileBorder carried_border(const PlanesView& image, const Tile& t, uint64_t ti, uint64_t first) {
  TileBorder b;
  b.has_above = t.y0 > 0 && ti >= first + t.cols;  // the tile above is `cols` earlier
  b.has_left = t.x0 > 0 && ti >= first + 1;
  b.has_corner = b.has_above && t.x0 > 0 && ti >= first + t.cols + 1;
  b.has_above_right = b.has_above && t.x0 + t.w < image.w;
  const size_t aw = t.w + 2;
  b.above.assign(t.planes * aw, 0);
  b.left.assign(size_t{t.planes} * t.h, 0);
  for (uint32_t p = 0; p < t.planes; ++p) {
    const uint8_t* plane = plane_of(image, t.image, t.plane0 + p);
    if (b.has_above) {
      const uint8_t* row = plane + size_t{t.y0 - 1} * image.w + t.x0;
      uint8_t* above = b.above.data() + p * aw;
      std::copy(row, row + t.w, above + 1);
      if (b.has_corner) above[0] = row[-1];
      if (b.has_above_right) above[t.w + 1] = row[t.w];
    }
    if (b.has_left)
      for (uint32_t i = 0; i < t.h; ++i) b.left[size_t{p} * t.h + i] = plane[size_t{t.y0 + i} * image.w + t.x0 - 1];
  }
  return b;
}

std::vector<uint64_t> stream_tile_counts(const TileIndex& tiles, uint64_t total_subpixels, uint32_t streams) {
  std::vector<uint64_t> counts(streams, 0);
  uint64_t done = 0;
  uint32_t s = 0;
  for (uint64_t t = 0; t < tiles.size(); ++t) {
    // Tile t goes to the stream whose share of the subpixels its first subpixel falls in.
    while (s + 1 < streams && done >= total_subpixels * (s + 1) / streams) ++s;
    ++counts[s];
    done += tiles.at(t).subpixels();
  }
  return counts;
}

}  // namespace lbb
