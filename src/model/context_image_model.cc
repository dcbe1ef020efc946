#include "model/context_image_model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace lbb {

namespace {

int activity_level(int activity) {
  // 0 | 1–2 | 3–6 | 7–14 | 15–30 | 31–62 | 63–126 | ≥127
  int level = 0;
  while (level < ContextImageModel::kLevels - 1 && activity > (2 << level) - 2) ++level;
  return level;
}

}  // namespace

uint32_t image_context(const uint8_t* p, uint32_t h, uint32_t w, uint32_t i, uint32_t j, uint32_t c) {
  (void)h;
  const int n_ = i > 0 ? p[(i - 1) * w + j] : -1;
  const int w_ = j > 0 ? p[i * w + j - 1] : (n_ >= 0 ? n_ : 0);
  const int n = n_ >= 0 ? n_ : w_;
  const int nw = (i > 0 && j > 0) ? p[(i - 1) * w + j - 1] : n;
  const int ne = (i > 0 && j + 1 < w) ? p[(i - 1) * w + j + 1] : n;
  int pred;
  if (nw >= std::max(w_, n)) pred = std::min(w_, n);
  else if (nw <= std::min(w_, n)) pred = std::max(w_, n);
  else pred = w_ + n - nw;
  const int activity = std::abs(w_ - nw) + std::abs(n - nw) + std::abs(n - ne);
  return (c * ContextImageModel::kLevels + activity_level(activity)) * ContextImageModel::kSymbols + pred;
}

ContextImageModel ContextImageModel::fit(const uint8_t* images, uint64_t n, uint32_t c, uint32_t h,
                                         uint32_t w) {
  ContextImageModel m;
  m.channels_ = c;
  const size_t contexts = size_t{c} * kLevels * kSymbols;
  std::vector<uint64_t> counts(contexts * kSymbols, 0);
  for (uint64_t k = 0; k < n; ++k)
    for (uint32_t ch = 0; ch < c; ++ch) {
      const uint8_t* plane = images + (k * c + ch) * size_t{h} * w;
      for (uint32_t i = 0; i < h; ++i)
        for (uint32_t j = 0; j < w; ++j)
          ++counts[size_t{image_context(plane, h, w, i, j, ch)} * kSymbols + plane[i * w + j]];
    }
  m.freqs_.resize(counts.size());
  for (size_t ctx = 0; ctx < contexts; ++ctx) {
    const int pred = static_cast<int>(ctx % kSymbols);
    const int level = static_cast<int>(ctx / kSymbols % kLevels);
    const uint64_t* cnt = &counts[ctx * kSymbols];
    uint64_t total = 0;
    for (int s = 0; s < kSymbols; ++s) total += cnt[s];
    // Counts weigh 64 each; the Laplacian prior (total weight ≈ a few dozen counts) only
    // matters where data are scarce. Scale down so that the largest value fits kMaxFrequency.
    const uint64_t scale_den = std::max<uint64_t>(1, (total * 64) / (kMaxFrequency / 2) + 1);
    for (int s = 0; s < kSymbols; ++s) {
      const int dist = std::abs(s - pred) / (level + 1);
      const uint64_t prior = dist >= 12 ? 1 : (uint64_t{4096} >> dist);
      const uint64_t f = (cnt[s] * 64) / scale_den + prior;
      m.freqs_[ctx * kSymbols + s] = static_cast<uint32_t>(std::clamp<uint64_t>(f, 1, kMaxFrequency));
    }
  }
  m.build();
  return m;
}

ContextImageModel::ContextImageModel(uint32_t channels, const std::vector<uint32_t>& frequencies)
    : channels_(channels), freqs_(frequencies) {
  if (channels == 0 || channels > 4 ||
      freqs_.size() != size_t{channels} * kLevels * kSymbols * kSymbols)
    throw std::invalid_argument("context image model: wrong table size");
  for (uint32_t f : freqs_)
    if (f < 1 || f > kMaxFrequency) throw std::invalid_argument("context image model: frequency out of range");
  build();
}

void ContextImageModel::build() {
  const size_t contexts = freqs_.size() / kSymbols;
  models_.clear();
  models_.reserve(contexts);
  std::vector<uint64_t> f(kSymbols);
  for (size_t ctx = 0; ctx < contexts; ++ctx) {
    for (int s = 0; s < kSymbols; ++s) f[s] = freqs_[ctx * kSymbols + s];
    models_.emplace_back(f);
  }
}

void ContextImageModel::push_image(Message& m, const uint8_t* image, uint32_t h, uint32_t w) const {
  // The decoder pops in raster order (it needs the causal neighbours), so push in reverse.
  for (uint32_t ch = channels_; ch-- > 0;) {
    const uint8_t* plane = image + size_t{ch} * h * w;
    for (uint32_t k = h * w; k-- > 0;) {
      const uint32_t i = k / w, j = k % w;
      push_symbol(m, models_[image_context(plane, h, w, i, j, ch)], plane[k]);
    }
  }
}

void ContextImageModel::pop_image(Message& m, uint8_t* image, uint32_t h, uint32_t w) const {
  for (uint32_t ch = 0; ch < channels_; ++ch) {
    uint8_t* plane = image + size_t{ch} * h * w;
    for (uint32_t k = 0; k < h * w; ++k) {
      const uint32_t i = k / w, j = k % w;
      plane[k] = static_cast<uint8_t>(pop_symbol(m, models_[image_context(plane, h, w, i, j, ch)]));
    }
  }
}

double ContextImageModel::image_bits(const uint8_t* image, uint32_t h, uint32_t w) const {
  double bits = 0;
  for (uint32_t ch = 0; ch < channels_; ++ch) {
    const uint8_t* plane = image + size_t{ch} * h * w;
    for (uint32_t k = 0; k < h * w; ++k)
      bits += model_bits(models_[image_context(plane, h, w, k / w, k % w, ch)], plane[k]);
  }
  return bits;
}

}  // namespace lbb
