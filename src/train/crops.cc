#include "train/crops.h"

#include <algorithm>

#include "common/errors.h"

namespace lbb {

namespace {

// Planes of `item` the model's `channels` take: groups of `channels` colour planes.
uint32_t plane_groups(const ImageItem& item, uint32_t channels) {
  const uint32_t cc = colour_planes(item);
  if (cc % channels != 0)
    throw InputError(item.name + ": " + std::to_string(cc) + " colour plane(s), but the model takes " +
                     std::to_string(channels));
  return cc / channels;
}

const uint8_t* plane(const ImageItem& item, uint32_t image, uint32_t p) {
  return item.pixels.data() + (size_t{image} * item.channels + p) * item.h * item.w;
}

}  // namespace

CropSampler::CropSampler(std::vector<ImageItem> items, uint32_t channels, uint32_t patch)
    : items_(std::move(items)), channels_(channels), patch_(patch) {
  if (patch == 0) throw InputError("--patch must be positive");
  for (const ImageItem& item : items_) {
    const uint32_t groups = plane_groups(item, channels);
    if (item.h < patch || item.w < patch) continue;
    for (uint32_t i = 0; i < item.count; ++i)
      for (uint32_t g = 0; g < groups; ++g) {
        total_area_ += uint64_t{item.h} * item.w;
        sources_.push_back({&item, i, g * channels, total_area_});
      }
  }
  if (sources_.empty())
    throw InputError("no training image has at least " + std::to_string(patch) + "x" + std::to_string(patch) +
                     " pixels");
}

ImageSet CropSampler::sample(uint32_t n, std::mt19937_64& rng) const {
  ImageSet set;
  set.n = n, set.c = channels_, set.h = patch_, set.w = patch_;
  set.pixels.resize(size_t{n} * channels_ * patch_ * patch_);
  set.names.assign(n, "crop");
  for (uint32_t k = 0; k < n; ++k) {
    const uint64_t a = rng() % total_area_;
    const Source& s = *std::upper_bound(sources_.begin(), sources_.end(), a,
                                        [](uint64_t v, const Source& x) { return v < x.area_end; });
    const ImageItem& item = *s.item;
    const uint32_t y0 = static_cast<uint32_t>(rng() % (item.h - patch_ + 1));
    const uint32_t x0 = static_cast<uint32_t>(rng() % (item.w - patch_ + 1));
    const bool flip = rng() & 1;
    uint8_t* out = set.image(k);
    for (uint32_t c = 0; c < channels_; ++c) {
      const uint8_t* p = plane(item, s.image, s.plane0 + c);
      for (uint32_t y = 0; y < patch_; ++y) {
        const uint8_t* row = p + size_t{y0 + y} * item.w + x0;
        uint8_t* dst = out + (size_t{c} * patch_ + y) * patch_;
        if (flip) std::reverse_copy(row, row + patch_, dst);
        else std::copy(row, row + patch_, dst);
      }
    }
  }
  return set;
}

ImageSet full_tiles(const std::vector<ImageItem>& items, uint32_t channels, uint32_t th, uint32_t tw,
                    uint64_t* edge_subpixels) {
  ImageSet set;
  set.c = channels, set.h = th, set.w = tw;
  uint64_t edges = 0;
  for (const ImageItem& item : items) {
    const uint32_t groups = plane_groups(item, channels);
    const uint32_t rows = item.h / th, cols = item.w / tw;
    edges += uint64_t{item.count} * groups * channels * (uint64_t{item.h} * item.w - uint64_t{rows} * th * cols * tw);
    for (uint32_t i = 0; i < item.count; ++i)
      for (uint32_t g = 0; g < groups; ++g)
        for (uint32_t r = 0; r < rows; ++r)
          for (uint32_t q = 0; q < cols; ++q) {
            for (uint32_t c = 0; c < channels; ++c) {
              const uint8_t* p = plane(item, i, g * channels + c);
              for (uint32_t y = 0; y < th; ++y) {
                const uint8_t* row = p + size_t{r * th + y} * item.w + q * tw;
                set.pixels.insert(set.pixels.end(), row, row + tw);
              }
            }
            set.names.push_back(item.name + "#" + std::to_string(i) + "@" + std::to_string(r) + "," +
                                std::to_string(q));
            ++set.n;
          }
  }
  if (set.n == 0 && !items.empty())
    throw InputError(items[0].name + ": images of " + std::to_string(items[0].w) + "x" + std::to_string(items[0].h) +
                     " hold no full " + std::to_string(tw) + "x" + std::to_string(th) + " tile of the model");
  if (edge_subpixels) *edge_subpixels = edges;
  return set;
}

}  // namespace lbb
