#include "model/adaptive_image_model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace lbb {

namespace {

constexpr int kSymbols = 256;
constexpr int kLevels = 16;
constexpr int kMaxEnergy = 1024;

// Everything that shapes the model. Integer-only, so that the coder is exactly
// reproducible on every machine.
struct Tuning {
  uint32_t step;   // added to the frequency of each symbol coded
  uint32_t limit;  // all frequencies are halved (rounding up) once a context total exceeds it
  // energy = (wa·gradients + ww·sym(W) + wn·sym(N) + wp·sym(previous plane)) / 4
  int wa, ww, wn, wp;
  int alpha;  // inter-plane prediction: pred = MED + alpha·(reference plane's MED residual)/4
  // Carried coder only: each bias context's mean error is added to the prediction while its
  // samples vote for it (LOCO-I's bias cancellation), and a 3-plane tile codes G first, then
  // R and B, both referring to G (otherwise planes are coded in order, each referring to the
  // one before).
  bool cancel_bias, green_first;
  int thresholds[kLevels - 1];  // level = #{thresholds < energy}
  // Prior of level l: geometric over the zigzag symbols with mean mu16[l]/16 and total
  // weight weight[l]·step (plus the floor of 1 per symbol).
  uint32_t mu16[kLevels];
  uint32_t weight[kLevels];
};

constexpr Tuning kTuning = {
    /*step=*/1024,
    /*limit=*/1u << 22,
    /*wa=*/4, /*ww=*/4, /*wn=*/0, /*wp=*/4,
    /*alpha=*/4,
    /*cancel_bias=*/false, /*green_first=*/false,
    /*thresholds=*/{0, 1, 2, 3, 5, 7, 10, 14, 19, 26, 36, 50, 70, 100, 150},
    /*mu16=*/{4, 12, 20, 28, 40, 56, 80, 112, 152, 208, 288, 400, 560, 800, 3200, 64000},
    /*weight=*/{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 8, 16, 32, 64, 256, 2048},
};

// The carried coder of container version 4 (chosen on the photo training and validation sets).
constexpr Tuning kCarriedTuning = {
    kTuning.step, kTuning.limit,
    /*wa=*/4, /*ww=*/4, /*wn=*/4, /*wp=*/4,
    /*alpha=*/4,
    /*cancel_bias=*/true, /*green_first=*/true,
    {0, 1, 2, 3, 5, 7, 10, 14, 19, 26, 36, 50, 70, 100, 150},
    {4, 12, 20, 28, 40, 56, 80, 112, 152, 208, 288, 400, 560, 800, 3200, 64000},
    {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 8, 16, 32, 64, 256, 2048},
};

// The fixed tables derived from a Tuning.
struct Model {
  Tuning t;
  uint32_t prior[kLevels][kSymbols];
  uint32_t prior_total[kLevels];
  uint8_t level[kMaxEnergy];

  explicit Model(const Tuning& tuning) : t(tuning) {
    for (int e = 0, l = 0; e < kMaxEnergy; ++e) {
      while (l < kLevels - 1 && e > t.thresholds[l]) ++l;
      level[e] = static_cast<uint8_t>(l);
    }
    for (int l = 0; l < kLevels; ++l) {
      // ρ = μ/(μ+1) in units of 2^-32; g_s = ρ^s (units of 2^-32), truncated to the 256
      // symbols and scaled to the total weight: f_s = 1 + ⌊W·step·g_s / Σg⌋.
      const uint64_t mu = t.mu16[l];
      const uint64_t rho = (mu << 32) / (mu + 16);
      uint64_t g[kSymbols];
      uint64_t cur = uint64_t{1} << 32, sum = 0;
      for (int s = 0; s < kSymbols; ++s) {
        g[s] = cur;
        sum += cur;
        cur = static_cast<uint64_t>((static_cast<u128>(cur) * rho) >> 32);
      }
      const uint64_t weight = uint64_t{t.weight[l]} * t.step;
      uint32_t total = 0;
      for (int s = 0; s < kSymbols; ++s) {
        const uint32_t f = 1 + static_cast<uint32_t>((static_cast<u128>(weight) * g[s]) / sum);
        prior[l][s] = f;
        total += f;
      }
      prior_total[l] = total;
    }
  }
};

const Model& default_model() {
  static const Model model(kTuning);
  return model;
}

const Model& carried_model() {
  static const Model model(kCarriedTuning);
  return model;
}

// Bias contexts of the carried coder: the local gradients NE−N, N−NW, NW−W, each quantized to
// 9 levels (LOCO-I's thresholds 3, 7, 21), times 5 levels of the reference plane's MED residual.
constexpr int kGradientLevels = 9, kPlaneLevels = 5;
constexpr int kBiasContexts = kGradientLevels * kGradientLevels * kGradientLevels * kPlaneLevels;
constexpr int kBiasReset = 64;  // a context's error sum and count are halved when its count reaches this

inline int quantize_gradient(int g) {
  const int a = std::abs(g);
  const int q = a == 0 ? 0 : a < 3 ? 1 : a < 7 ? 2 : a < 21 ? 3 : 4;
  return g < 0 ? -q : q;
}
inline int quantize_plane_residual(int r) {
  const int a = std::abs(r);
  const int q = a == 0 ? 0 : a < 5 ? 1 : 2;
  return r < 0 ? -q : q;
}

// Adaptive frequencies of every context of one plane, and (carried coder only) per bias
// context: the sum and count of the errors x − pred of the uncorrected predictions, and the
// votes of its samples for the correction (+1 if the mean error's correction would have given
// the sample a higher frequency than no correction, −1 if lower).  The correction is applied
// only while the votes are not negative: where the adaptive frequencies already absorb a
// context's bias (smooth, low-noise areas), correcting it costs bits.
struct State {
  uint32_t f[kLevels][kSymbols];
  uint32_t total[kLevels];
  int32_t error_sum[kBiasContexts];
  int32_t error_count[kBiasContexts];
  int32_t votes[kBiasContexts];
  void reset(const Model& m) {
    std::memcpy(f, m.prior, sizeof f);
    std::memcpy(total, m.prior_total, sizeof total);
    std::memset(error_sum, 0, sizeof error_sum);
    std::memset(error_count, 0, sizeof error_count);
    std::memset(votes, 0, sizeof votes);
  }
  // The context's mean error, rounded to the nearest integer (ties away from zero); 0 if unseen.
  int mean_error(int ctx) const {
    const int32_t n = error_count[ctx], b = error_sum[ctx];
    if (n == 0) return 0;
    return b >= 0 ? (b + n / 2) / n : -((-b + n / 2) / n);
  }
  bool corrects(int ctx) const { return votes[ctx] >= 0; }
  void learn(int ctx, int error, int vote) {
    error_sum[ctx] += error;
    votes[ctx] += vote;
    if (++error_count[ctx] >= kBiasReset) {
      const auto halve = [](int32_t& v) { v = v >= 0 ? v / 2 : -(-v / 2); };
      halve(error_sum[ctx]), halve(votes[ctx]);
      error_count[ctx] /= 2;
    }
  }
};

inline int zigzag(int r) { return r >= 0 ? 2 * r : -2 * r - 1; }  // r ∈ [−128, 127]
inline int unzigzag(int s) { return (s & 1) ? -((s + 1) >> 1) : (s >> 1); }

inline int med(int w, int n, int nw) {
  const int mx = std::max(w, n), mn = std::min(w, n);
  if (nw >= mx) return mn;
  if (nw <= mn) return mx;
  return w + n - nw;
}

// Neighbours W, N, NW, NE of sample (i, j) and its MED prediction.  Inside the tile, the
// border rules of image_context(); a `border` (may be null) supplies the samples just
// outside the tile's first row and column that the decoder already knows.
struct Neighbours {
  int W, N, NW, NE, pred;
  bool guessed = false;  // no neighbour known: pred is 128
};

inline Neighbours neighbours(const uint8_t* row, const uint8_t* up, uint32_t i, uint32_t j, uint32_t w,
                             const uint8_t* above, const uint8_t* left, const TileBorder* b) {
  Neighbours n;
  if (i > 0) {
    n.N = up[j];
    const bool l = j == 0 && b && b->has_left;
    n.W = j > 0 ? row[j - 1] : l ? left[i] : n.N;
    n.NW = j > 0 ? up[j - 1] : l ? left[i - 1] : n.N;
    n.NE = j + 1 < w ? up[j + 1] : n.N;
    n.pred = med(n.W, n.N, n.NW);
  } else if (b && b->has_above) {
    n.N = above[1 + j];
    n.W = j > 0 ? row[j - 1] : b->has_left ? left[0] : n.N;
    n.NW = j > 0 ? above[j] : b->has_corner ? above[0] : n.N;
    n.NE = j + 1 < w ? above[2 + j] : b->has_above_right ? above[w + 1] : n.N;
    n.pred = med(n.W, n.N, n.NW);
  } else if (j > 0 || (b && b->has_left)) {
    n.W = n.N = n.NW = n.NE = j > 0 ? row[j - 1] : left[0];
    n.pred = n.W;
  } else {
    n.W = n.N = n.NW = n.NE = n.pred = 128;
    n.guessed = true;
  }
  return n;
}

// Runs the model over the tile in decoding order, plane c with the frequencies *states[c]
// (updated as it goes). For every sample it calls
//   sym = code(f, total, sym)   (f: the context's 256 frequencies, total their sum)
// with the true symbol when encoding (kDecode = false: samples are read from `in`) and −1
// when decoding (the returned symbol gives the sample, written to `out` and read back as
// the neighbour of later samples).
template <bool kDecode, class Code>
void run_tile(const Model& M, const uint8_t* in, uint8_t* out, uint32_t channels, uint32_t h,
              uint32_t w, State* const* states, const TileBorder* border, Code&& code) {
  const Tuning& t = M.t;
  const size_t n = size_t{h} * w;
  // Symbol and MED residual of every plane.
  std::vector<uint8_t> syms(size_t{channels} * n);
  std::vector<int16_t> dmed(size_t{channels} * n);
  // Planes in coding order, each with the plane its prediction refers to (-1: none).
  const bool g_first = t.green_first && channels == 3;
  for (uint32_t o = 0; o < channels; ++o) {
    const uint32_t c = g_first ? (o == 0 ? 1 : o == 1 ? 0 : 2) : o;
    const int ref = g_first ? (c == 1 ? -1 : 1) : static_cast<int>(c) - 1;
    State& st = *states[o];
    const uint8_t* p = kDecode ? out + c * n : in + c * n;
    uint8_t* op = kDecode ? out + c * n : nullptr;
    uint8_t* sy = syms.data() + c * n;
    const uint8_t* syp = ref >= 0 ? syms.data() + ref * n : nullptr;
    int16_t* d = dmed.data() + c * n;
    const int16_t* dp = ref >= 0 ? dmed.data() + ref * n : nullptr;
    const uint8_t* above = border && border->has_above ? border->above.data() + size_t{c} * (w + 2) : nullptr;
    const uint8_t* left = border && border->has_left ? border->left.data() + size_t{c} * h : nullptr;
    const bool inter = ref >= 0;
    const bool cancel_bias = t.cancel_bias;
    for (uint32_t i = 0; i < h; ++i) {
      const uint8_t* row = p + size_t{i} * w;
      const uint8_t* up = i > 0 ? row - w : nullptr;
      const uint8_t* syrow = sy + size_t{i} * w;
      for (uint32_t j = 0; j < w; ++j) {
        const size_t k = size_t{i} * w + j;
        const Neighbours nb = neighbours(row, up, i, j, w, above, left, border);
        int pred = nb.pred;
        const int m0 = pred;
        int energy = t.wa * (std::abs(nb.W - nb.NW) + std::abs(nb.N - nb.NW) + std::abs(nb.N - nb.NE));
        if (j > 0) energy += t.ww * syrow[j - 1];
        if (i > 0) energy += t.wn * sy[k - w];
        if (inter) {
          pred = std::clamp(pred + t.alpha * dp[k] / 4, 0, 255);
          energy += t.wp * syp[k];
        }
        int bias_ctx = 0, uncorrected = pred, corrected = pred;
        if (cancel_bias) {
          bias_ctx = (((quantize_gradient(nb.NE - nb.N) + 4) * kGradientLevels + quantize_gradient(nb.N - nb.NW) + 4) *
                          kGradientLevels +
                      quantize_gradient(nb.NW - nb.W) + 4) *
                         kPlaneLevels +
                     (inter ? quantize_plane_residual(dp[k]) + 2 : 2);
          corrected = std::clamp(pred + st.mean_error(bias_ctx), 0, 255);
          if (st.corrects(bias_ctx)) pred = corrected;
        }
        energy >>= 2;
        const int lvl = M.level[std::min(energy, kMaxEnergy - 1)];
        uint32_t* f = st.f[lvl];
        uint32_t& total = st.total[lvl];
        int s, x;
        if constexpr (kDecode) {
          s = code(f, total, -1);
          x = (pred + unzigzag(s)) & 255;
          op[j + size_t{i} * w] = static_cast<uint8_t>(x);
        } else {
          x = row[j];
          s = zigzag(static_cast<int8_t>(static_cast<uint8_t>(x - pred)));
          code(f, total, s);
        }
        int vote = 0;  // frequencies (before this sample's update) of x with and without the correction
        if (cancel_bias) {
          const uint32_t fc = f[zigzag(static_cast<int8_t>(static_cast<uint8_t>(x - corrected)))];
          const uint32_t fu = f[zigzag(static_cast<int8_t>(static_cast<uint8_t>(x - uncorrected)))];
          vote = (fc > fu) - (fc < fu);
        }
        sy[k] = static_cast<uint8_t>(s);
        d[k] = static_cast<int16_t>(x - m0);
        // The error modulo 256, as coded; a guess's error is no bias.
        if (cancel_bias && !nb.guessed) st.learn(bias_ctx, static_cast<int8_t>(static_cast<uint8_t>(x - uncorrected)), vote);
        f[s] += t.step;
        total += t.step;
        if (total > t.limit) {
          uint32_t tot = 0;
          for (int z = 0; z < kSymbols; ++z) tot += (f[z] = (f[z] + 1) >> 1);
          total = tot;
        }
      }
    }
  }
}

// Fresh frequencies for each plane of one tile (the independent-tile coder).
struct FreshStates {
  FreshStates(const Model& M, uint32_t channels) : planes(channels), ptrs(channels) {
    for (uint32_t c = 0; c < channels; ++c) planes[c].reset(M), ptrs[c] = &planes[c];
  }
  std::vector<State> planes;
  std::vector<State*> ptrs;
};

inline uint32_t cum_below(const uint32_t* f, int s) {
  uint32_t cum = 0;
  for (int z = 0; z < s; ++z) cum += f[z];
  return cum;
}

// Appends the interval of every sample, in decoding order; returns their exact bits.
double record_tile(const Model& M, const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                   State* const* states, const TileBorder* border, std::vector<Interval>* out) {
  double bits = 0;
  run_tile<false>(M, tile, nullptr, channels, h, w, states, border, [&](const uint32_t* f, uint32_t total, int s) {
    const uint64_t q = ans::kTotal / total;
    bits += ans::kPrecisionBits - std::log2(static_cast<double>(f[s] * q));
    if (out) out->push_back(Interval{cum_below(f, s) * q, f[s] * q});
    return s;
  });
  return bits;
}

void pop_tile(const Model& M, Message& m, uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
              State* const* states, const TileBorder* border) {
  run_tile<true>(M, nullptr, tile, channels, h, w, states, border, [&](const uint32_t* f, uint32_t total, int) {
    const uint64_t q = ans::kTotal / total;
    const uint64_t slot = m.peek();
    if (slot >= q * total) throw CodingError("adaptive image model: slot beyond the context total");
    const uint32_t target = static_cast<uint32_t>(slot / q);  // < total
    uint32_t cum = 0;
    int s = 0;
    while (cum + f[s] <= target) cum += f[s++];  // terminates: Σ f = total > target
    m.pop(cum * q, f[s] * q);
    return s;
  });
}

}  // namespace

struct AdaptiveState::Plane : State {};

AdaptiveState::AdaptiveState() = default;
AdaptiveState::~AdaptiveState() = default;
AdaptiveState::AdaptiveState(AdaptiveState&&) noexcept = default;
AdaptiveState& AdaptiveState::operator=(AdaptiveState&&) noexcept = default;

AdaptiveState::Plane* AdaptiveState::plane(uint32_t c) {
  if (!planes_[c]) {
    planes_[c] = std::make_unique<Plane>();
    planes_[c]->reset(carried_model());
  }
  return planes_[c].get();
}

namespace {

std::vector<State*> states_of(AdaptiveState& state, uint32_t channels) {
  std::vector<State*> ptrs(channels);
  for (uint32_t c = 0; c < channels; ++c) ptrs[c] = state.plane(c);
  return ptrs;
}

}  // namespace

void push_adaptive_tile(Message& m, const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w) {
  std::vector<Interval> coded;
  coded.reserve(size_t{channels} * h * w);
  FreshStates st(default_model(), channels);
  record_tile(default_model(), tile, channels, h, w, st.ptrs.data(), nullptr, &coded);
  push_intervals_reversed(m, coded.data(), coded.size());
}

void pop_adaptive_tile(Message& m, uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w) {
  FreshStates st(default_model(), channels);
  pop_tile(default_model(), m, tile, channels, h, w, st.ptrs.data(), nullptr);
}

double adaptive_tile_bits(const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w) {
  FreshStates st(default_model(), channels);
  return record_tile(default_model(), tile, channels, h, w, st.ptrs.data(), nullptr, nullptr);
}

double record_adaptive_tile(AdaptiveState& state, const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                            const TileBorder& border, std::vector<Interval>* intervals) {
  check_tile_border(border, channels, AdaptiveState::kMaxPlanes, h, w, "adaptive image model");
  const std::vector<State*> st = states_of(state, channels);
  return record_tile(carried_model(), tile, channels, h, w, st.data(), &border, intervals);
}

void learn_adaptive_tile(AdaptiveState& state, const uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                         const TileBorder& border) {
  check_tile_border(border, channels, AdaptiveState::kMaxPlanes, h, w, "adaptive image model");
  const std::vector<State*> st = states_of(state, channels);
  run_tile<false>(carried_model(), tile, nullptr, channels, h, w, st.data(), &border,
                  [](const uint32_t*, uint32_t, int s) { return s; });
}

void pop_adaptive_tile(Message& m, AdaptiveState& state, uint8_t* tile, uint32_t channels, uint32_t h, uint32_t w,
                       const TileBorder& border) {
  check_tile_border(border, channels, AdaptiveState::kMaxPlanes, h, w, "adaptive image model");
  const std::vector<State*> st = states_of(state, channels);
  pop_tile(carried_model(), m, tile, channels, h, w, st.data(), &border);
}

}  // namespace lbb
