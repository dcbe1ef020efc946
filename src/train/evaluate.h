// Bits per dimension of a model on an image set: the dequantization bound with one
// sample of u per image, and the importance-weighted bound with K samples.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "flow/flow_model.h"
#include "io/images.h"

namespace lbb {

// uint8 tensor [count, C, H, W] of images first .. first+count-1 (or of `indices`).
Tensor image_batch(const ImageSet& set, int64_t first, int64_t count);
Tensor image_batch(const ImageSet& set, const std::vector<int64_t>& indices);

struct EvalOptions {
  int64_t samples = 1;   // K: samples of u per image; K > 1 adds the importance-weighted bound
  int64_t batch = 100;   // images per forward pass (K = 1) — results do not depend on it
  uint64_t seed = 0;     // u is drawn from a generator seeded with seed + image index
  bool f64 = false;      // evaluate in float64
  std::function<void(int64_t done, int64_t total)> progress;
};

struct EvalResult {
  int64_t images = 0, dims = 0;
  double bpd = 0;      // mean over images of (−log2 p(x+u) + log2 q(u|x)) / (C·H·W); with K > 1 samples, each
                       // image's mean over them (so bpd_iw ≤ bpd image by image, by Jensen)
  double bpd_iw = 0;   // −log2 mean_k p(x+u_k)/q(u_k|x), per dim, mean over images (K > 1)
  std::vector<double> per_image_bpd;
  double seconds = 0;
};

// Evaluates in eval mode without gradients. Each image's u depends only on the seed and
// the image's index, so the result does not depend on the batch size.
EvalResult evaluate(FlowModel& model, const ImageSet& set, const EvalOptions& options);

}  // namespace lbb
