// Training and evaluation data from images of any size and layout: random P×P crops (with
// horizontal flips) for training, the full P×P tiles of every image for evaluation.
// The colour planes are used (alpha is dropped): as they are for a model of the same channel
// count, or plane by plane for a one-channel model.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "io/images.h"

namespace lbb {

class CropSampler {
 public:
  // Keeps the images with at least P×P pixels; throws InputError if none has, or if an image
  // has colour planes that a `channels`-channel model cannot take (grey images for RGB).
  CropSampler(std::vector<ImageItem> items, uint32_t channels, uint32_t patch);

  // `n` crops (n × channels × P × P), each from an image drawn in proportion to its area, at a
  // uniform position, flipped left-right with probability ½.
  ImageSet sample(uint32_t n, std::mt19937_64& rng) const;
  uint32_t patch() const { return patch_; }
  uint64_t pixels() const { return total_area_; }  // Σ count·h·w of the images kept
  size_t images() const { return sources_.size(); }

 private:
  struct Source {
    const ImageItem* item;
    uint32_t image, plane0;  // the crop's first plane
    uint64_t area_end;       // prefix sum of areas, for sampling in proportion to area
  };
  std::vector<ImageItem> items_;
  std::vector<Source> sources_;
  uint32_t channels_, patch_;
  uint64_t total_area_ = 0;
};

// Every full tile×tile block of each image's colour planes, as an ImageSet of `channels`-channel
// tiles (edges that do not fill a tile are left out; `edge_subpixels` counts them). Throws
// InputError naming the first image when the images hold no full tile at all.
ImageSet full_tiles(const std::vector<ImageItem>& items, uint32_t channels, uint32_t tile_h, uint32_t tile_w,
                    uint64_t* edge_subpixels = nullptr);

}  // namespace lbb
