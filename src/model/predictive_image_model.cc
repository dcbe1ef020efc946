#include "model/predictive_image_model.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <vector>

#include "model/discretized.h"

namespace lbb {

namespace {

constexpr int kMaxPredictors = 12;
constexpr int kScaleBuckets = 32;
// Bucket b holds energies in [e^{b/4} − 1, e^{(b+1)/4} − 1) (edges rounded; literal, so that no
// transcendental function decides a bucket).
constexpr double kBucketEdges[kScaleBuckets - 1] = {
    0.284,    0.6487,   1.117,    1.7183,   2.4903,   3.4817,   4.7546,   6.3891,   8.4877,   11.1825,  14.6426,
    19.0855,  24.7903,  32.1155,  41.5211,  53.5982,  69.1054,  89.0171,  114.5843, 147.4132, 189.5663, 243.6919,
    313.1907, 402.4288, 517.0128, 664.1416, 853.0588, 1095.6332, 1407.1048, 1807.0424, 2320.5724};
constexpr int kGradientLevels = 9;
constexpr int kEnergyLevels = 4;  // of the bias contexts: scale bucket / 6, at most 3
constexpr int kBiasContexts = kGradientLevels * kGradientLevels * kGradientLevels * kEnergyLevels;
constexpr double kErrorFloor = 2.0;        // added to every predictor's error sum
constexpr double kMinScale = 0.15;         // logistic scale floor (in sample values)
constexpr double kMadPerScale = 1.3862943611198906;  // a logistic's mean |x − μ| is 2 ln 2 · scale
constexpr double kScaleCountLimit = 256;   // a bucket's sum and count halve beyond this count
constexpr double kBiasCountLimit = 128;    // a bias context's likewise

// The 256 values as bins of width 1 centred on 0..255.
const GridSpec kValueGrid{-0.5, 0, 256};

}  // namespace

// Per plane: each scale bucket's sum of absolute errors and count; each bias context's sum of
// errors (after its correction) and count. Counts are ≥ 0; sums and counts halve together.
struct PredictiveState::Plane {
  double scale_sum[kScaleBuckets], scale_count[kScaleBuckets];
  double bias_sum[kBiasContexts], bias_count[kBiasContexts];
  Plane() {
    double mad = 4.0;  // starting MAD of bucket b: 4·1.25^b + 1, with the weight of half a sample
    for (int b = 0; b < kScaleBuckets; ++b, mad *= 1.25) scale_sum[b] = 0.5 * (mad + 1.0), scale_count[b] = 0.5;
    std::fill(bias_sum, bias_sum + kBiasContexts, 0.0);
    std::fill(bias_count, bias_count + kBiasContexts, 0.0);
  }
};

PredictiveState::PredictiveState() = default;
PredictiveState::~PredictiveState() = default;
PredictiveState::PredictiveState(PredictiveState&&) noexcept = default;
PredictiveState& PredictiveState::operator=(PredictiveState&&) noexcept = default;

PredictiveState::Plane* PredictiveState::plane(uint32_t c) {
  if (!planes_[c]) planes_[c] = std::make_unique<Plane>();
  return planes_[c].get();
}

namespace {

// One plane of a tile with its border: the samples the decoder has around (i, j).
struct PlaneView {
  const uint8_t* px;     // h×w, rows decoded so far
  const uint8_t* above;  // w + 2 samples (above-left, above 0..w−1, above-right) or null
  const uint8_t* left;   // h samples or null
  bool corner, above_right;
  uint32_t h, w;
};

// The causal neighbours of (i, j); where the decoder has none, the rules below stand in
// (W ← N ← 128 when neither is known, NW, NE and NN ← N, WW ← W).
struct Neighbours {
  int N, W, NW, NE, NN, WW;
};

Neighbours neighbours(const PlaneView& v, uint32_t i, uint32_t j) {
  const size_t w = v.w, k = i * w + j;
  int N = -1, W = -1, NW = -1, NE = -1, NN = -1, WW = -1;  // −1: unknown
  if (i > 0) N = v.px[k - w];
  else if (v.above) N = v.above[j + 1];
  if (j > 0) W = v.px[k - 1];
  else if (v.left) W = v.left[i];
  if (i > 0 && j > 0) NW = v.px[k - w - 1];
  else if (i > 0) NW = v.left ? v.left[i - 1] : -1;
  else if (j > 0) NW = v.above ? v.above[j] : -1;
  else NW = v.corner ? v.above[0] : -1;
  if (j + 1 < v.w) NE = i > 0 ? v.px[k - w + 1] : (v.above ? v.above[j + 2] : -1);
  else if (i == 0 && v.above_right) NE = v.above[w + 1];
  if (i > 1) NN = v.px[k - 2 * w];
  if (j > 1) WW = v.px[k - 2];
  if (W < 0) W = N >= 0 ? N : 128;
  if (N < 0) N = W;
  if (NW < 0) NW = N;
  if (NE < 0) NE = N;
  if (NN < 0) NN = N;
  if (WW < 0) WW = W;
  return {N, W, NW, NE, NN, WW};
}

inline int med(int a, int b, int c) {  // LOCO-I's median edge detector of W = a, N = b, NW = c
  const int mx = std::max(a, b), mn = std::min(a, b);
  return c >= mx ? mn : c <= mn ? mx : a + b - c;
}

// Quantized gradient, 0..8 (4 = flat).
inline int gradient_level(int d) {
  const int a = std::abs(d);
  const int l = a == 0 ? 0 : a < 3 ? 1 : a < 8 ? 2 : a < 21 ? 3 : 4;
  return d < 0 ? 4 - l : 4 + l;
}

inline int scale_bucket(double energy) {
  return static_cast<int>(std::upper_bound(std::begin(kBucketEdges), std::end(kBucketEdges), energy) - std::begin(kBucketEdges));
}

// The errors of one plane: each predictor's |x − p_k| in the rows i−2..i (a ring of 3 rows) and
// the blend's |x − pred| over the whole tile (later planes read the first plane's here).
struct PlaneErrors {
  uint32_t w;
  std::vector<double> predictor;  // [row mod 3][j][k]
  std::vector<double> blend;      // [i·w + j]
  PlaneErrors(uint32_t h, uint32_t w_) : w(w_), predictor(size_t{3} * w_ * kMaxPredictors), blend(size_t{h} * w_) {}
  double* at(uint32_t i, uint32_t j) { return &predictor[((i % 3) * size_t{w} + j) * kMaxPredictors]; }
};

// Runs the model over the planes of one tile in coding order; `code(mean, scale, plane, k)`
// codes sample k of the plane (encoder: records its interval; decoder: pops it into the tile)
// and returns its value.
template <class Code>
void run_tile(PredictiveState& state, const uint8_t* tile_in, uint8_t* tile_out, uint32_t channels, uint32_t h,
              uint32_t w, const TileBorder& border, Code code) {
  const uint8_t* tile = tile_in ? tile_in : tile_out;
  const size_t plane_size = size_t{h} * w;
  std::vector<uint32_t> order(channels);
  for (uint32_t c = 0; c < channels; ++c) order[c] = c;
  if (channels == 3) order = {1, 0, 2};  // G, R, B
  const auto view = [&](uint32_t c) {
    return PlaneView{tile + c * plane_size,
                     border.has_above ? border.above.data() + size_t{c} * (w + 2) : nullptr,
                     border.has_left ? border.left.data() + size_t{c} * h : nullptr,
                     border.has_corner, border.has_above_right, h, w};
  };
  std::vector<PlaneErrors> errors;
  errors.reserve(channels);
  for (uint32_t oi = 0; oi < channels; ++oi) {
    const uint32_t c = order[oi];
    PredictiveState::Plane& st = *state.plane(oi);
    errors.emplace_back(h, w);
    PlaneErrors& err = errors.back();
    const PlaneView self = view(c);
    const bool has_ref = oi >= 1, has_ref2 = oi >= 2;
    const PlaneView ref = has_ref ? view(order[0]) : self;
    const PlaneView ref2 = has_ref2 ? view(order[1]) : self;
    const double* ref_blend = has_ref ? errors[0].blend.data() : nullptr;
    for (uint32_t i = 0; i < h; ++i)
      for (uint32_t j = 0; j < w; ++j) {
        const size_t k = size_t{i} * w + j;
        const Neighbours n = neighbours(self, i, j);
        double p[kMaxPredictors];
        int np = 0;
        p[np++] = med(n.W, n.N, n.NW);
        p[np++] = n.W + n.NE - n.N;
        p[np++] = n.N + (n.NE - n.NW) * 0.5;
        p[np++] = (n.W + n.NE) * 0.5;
        p[np++] = n.N;
        p[np++] = n.W;
        if (has_ref) {  // the first plane's value here plus this plane's difference to it
          const Neighbours g = neighbours(ref, i, j);
          const int here = ref.px[k];
          p[np++] = here + (n.N - g.N);
          p[np++] = here + (n.W - g.W);
          p[np++] = here + ((n.N - g.N) + (n.W - g.W) + (n.NE - g.NE)) / 3.0;
          p[np++] = here + med(n.W - g.W, n.N - g.N, n.NW - g.NW);
          if (has_ref2) {
            const Neighbours r = neighbours(ref2, i, j);
            const int here2 = ref2.px[k];
            p[np++] = here2 + (n.N - r.N);
            p[np++] = here2 + (n.W - r.W);
          }
        } else {
          p[np++] = n.W + n.N - n.NW;
          p[np++] = 2 * n.N - n.NN;
          p[np++] = 2 * n.W - n.WW;
          p[np++] = (n.N + n.W) * 0.5;
        }
        // Errors are the tile's own: known at N, NW, NE (row above), W, WW (this row), NN.
        const bool eN = i > 0, eW = j > 0, eNE = i > 0 && j + 1 < w, eNN = i > 1, eWW = j > 1;
        const double* eu = eN ? err.at(i - 1, j) : nullptr;
        double wsum = 0, psum = 0;
        for (int q = 0; q < np; ++q) {
          double s = kErrorFloor;
          if (eN) s += eu[q];
          if (eW) s += err.at(i, j - 1)[q];
          if (eN && eW) s += err.at(i - 1, j - 1)[q];
          if (eNE) s += err.at(i - 1, j + 1)[q];
          if (eWW) s += 0.5 * err.at(i, j - 2)[q];
          if (eNN) s += 0.5 * err.at(i - 2, j)[q];
          const double wt = 1.0 / (s * s);
          wsum += wt;
          psum += wt * p[q];
        }
        double mean = psum / wsum;
        const double* eb = err.blend.data();
        double energy = 0;
        if (eN) energy += eb[k - w];
        if (eW) energy += eb[k - 1];
        if (eN && eW) energy += 0.5 * eb[k - w - 1];
        if (eNE) energy += 0.5 * eb[k - w + 1];
        if (eNN) energy += 0.5 * eb[k - 2 * w];
        if (eWW) energy += 0.5 * eb[k - 2];
        energy += 0.25 * (std::abs(n.W - n.NW) + std::abs(n.N - n.NW) + std::abs(n.NE - n.N));
        if (has_ref) energy += ref_blend[k];
        const int bucket = scale_bucket(energy);
        const int ctx = ((gradient_level(n.NE - n.N) * kGradientLevels + gradient_level(n.N - n.NW)) * kGradientLevels +
                         gradient_level(n.NW - n.W)) * kEnergyLevels + std::min(kEnergyLevels - 1, bucket / 6);
        if (st.bias_count[ctx] > 0) mean += st.bias_sum[ctx] / st.bias_count[ctx];
        mean = std::min(255.0, std::max(0.0, mean));
        const double scale = std::max(kMinScale, st.scale_sum[bucket] / st.scale_count[bucket] / kMadPerScale);
        const int x = code(mean, scale, c, k);
        const double r = x - mean, ar = std::abs(r);
        st.scale_sum[bucket] += ar;
        st.scale_count[bucket] += 1;
        if (st.scale_count[bucket] > kScaleCountLimit) st.scale_sum[bucket] *= 0.5, st.scale_count[bucket] *= 0.5;
        st.bias_sum[ctx] += r;
        st.bias_count[ctx] += 1;
        if (st.bias_count[ctx] > kBiasCountLimit) st.bias_sum[ctx] *= 0.5, st.bias_count[ctx] *= 0.5;
        err.blend[k] = ar;
        double* e = err.at(i, j);
        for (int q = 0; q < np; ++q) e[q] = std::abs(x - p[q]);
      }
  }
}

}  // namespace

double record_predictive_tile(PredictiveState& state, const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                              const TileBorder& border, std::vector<Interval>* intervals) {
  check_tile_border(border, channels, PredictiveState::kMaxPlanes, h, w, "predictive image model");
  double bits = 0;
  const size_t plane_size = size_t{h} * w;
  run_tile(state, tile, nullptr, channels, h, w, border, [&](double mean, double scale, uint32_t c, size_t k) {
    const int x = tile[c * plane_size + k];
    const Interval iv = DiscretizedLogistic(mean, scale, kValueGrid).interval(static_cast<uint64_t>(x));
    bits += ans::kPrecisionBits - __builtin_log2(static_cast<double>(iv.freq));
    if (intervals) intervals->push_back(iv);
    return x;
  });
  return bits;
}

void learn_predictive_tile(PredictiveState& state, const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                           const TileBorder& border) {
  check_tile_border(border, channels, PredictiveState::kMaxPlanes, h, w, "predictive image model");
  const size_t plane_size = size_t{h} * w;
  run_tile(state, tile, nullptr, channels, h, w, border,
           [&](double, double, uint32_t c, size_t k) { return static_cast<int>(tile[c * plane_size + k]); });
}

void pop_predictive_tile(Message& m, PredictiveState& state, uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                         const TileBorder& border) {
  check_tile_border(border, channels, PredictiveState::kMaxPlanes, h, w, "predictive image model");
  const size_t plane_size = size_t{h} * w;
  run_tile(state, nullptr, tile, channels, h, w, border, [&](double mean, double scale, uint32_t c, size_t k) {
    const int x = static_cast<int>(pop_symbol(m, DiscretizedLogistic(mean, scale, kValueGrid)));
    tile[c * plane_size + k] = static_cast<uint8_t>(x);
    return x;
  });
}

}  // namespace lbb
