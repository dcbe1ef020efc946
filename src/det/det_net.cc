#include "det/det_net.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "det/det_clones.h"
#include "det/det_elementwise.h"
#include "det/det_fused_kernels.h"
#include "det/det_profile.h"
#include "det/det_team.h"
#include "model/det_math.h"

// The SIMD helpers below are always inlined; their by-value vector ABI never matters.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace lbb {

namespace {

constexpr int64_t kCoBlock = 4;  // output channels per register tile
constexpr int64_t kTileVectors = 2;  // 32-byte vectors of positions per register tile
template <typename T>
constexpr int64_t kPosBlock = kTileVectors * 32 / static_cast<int64_t>(sizeof(T));  // positions per tile

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

// 32-byte SIMD vectors (GCC vector extensions: on a target without AVX each is two SSE
// registers).  Lane-wise + and × are single IEEE operations, exactly as on scalars.
typedef double V4d __attribute__((vector_size(32)));
typedef float V8f __attribute__((vector_size(32)));
template <typename T> struct VecOf;
template <> struct VecOf<double> { typedef V4d type; };
template <> struct VecOf<float> { typedef V8f type; };

template <typename V, typename T>
__attribute__((always_inline)) inline V vload(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename V, typename T>
__attribute__((always_inline)) inline void vstore(T* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}
template <typename V, typename T>
__attribute__((always_inline)) inline V vsplat(T x) {
  V v;
  for (int i = 0; i < static_cast<int>(sizeof(V) / sizeof(T)); ++i) v[i] = x;
  return v;
}

// The convolution kernel.  in: input planes (stride in_stride, zero padded as the caller
// arranged), tap offsets relative to an output position; wpk: [co block][ci][tap][kCoBlock];
// acc: [co blocks · kCoBlock][lpad], lpad a multiple of kPosBlock.  For every output
//   acc[o][p] = ((bias[o] + w[o][0][0]·in[0][p + off0]) + w[o][0][1]·in[0][p + off1]) + …
// in exactly this order (ci ascending, then taps); SIMD lanes are output positions only.
// Register tile: kCoBlock output channels × kTileVectors vectors of positions.
template <typename T>
__attribute__((always_inline)) inline void conv_tiles_body(const T* in, int64_t in_stride, int64_t ci_n,
                                                           const int64_t* tap_off, int64_t taps,
                                                           const T* wpk, const T* bias,
                                                           int64_t co_blocks, int64_t lpad, T* acc) {
  typedef typename VecOf<T>::type V;
  constexpr int64_t W = static_cast<int64_t>(sizeof(V) / sizeof(T)), NV = kTileVectors;
  static_assert(NV * W == kPosBlock<T>, "tile = kTileVectors vectors");
  for (int64_t cb = 0; cb < co_blocks; ++cb) {
    const T* wb = wpk + cb * ci_n * taps * kCoBlock;
    const T* bb = bias + cb * kCoBlock;
    T* out = acc + cb * kCoBlock * lpad;
    for (int64_t p0 = 0; p0 < lpad; p0 += NV * W) {
      V a[kCoBlock][NV];
#pragma GCC unroll 16
      for (int64_t j = 0; j < kCoBlock; ++j)
#pragma GCC unroll 16
        for (int64_t v = 0; v < NV; ++v) a[j][v] = vsplat<V>(bb[j]);
      const T* wp = wb;
      for (int64_t ci = 0; ci < ci_n; ++ci) {
        const T* base = in + ci * in_stride + p0;
        for (int64_t t = 0; t < taps; ++t, wp += kCoBlock) {
          const T* src = base + tap_off[t];
          V x[NV];
#pragma GCC unroll 16
          for (int64_t v = 0; v < NV; ++v) x[v] = vload<V>(src + v * W);
#pragma GCC unroll 16
          for (int64_t j = 0; j < kCoBlock; ++j) {
            const V w = vsplat<V>(wp[j]);
#pragma GCC unroll 16
            for (int64_t v = 0; v < NV; ++v) a[j][v] = a[j][v] + w * x[v];
          }
        }
      }
#pragma GCC unroll 16
      for (int64_t j = 0; j < kCoBlock; ++j)
#pragma GCC unroll 16
        for (int64_t v = 0; v < NV; ++v) vstore(out + j * lpad + p0 + v * W, a[j][v]);
    }
  }
}

// Built for each target of LBB_DET_CLONES (det_clones.h): no FMA ("avx2" does not enable FMA
// instructions in GCC, and contraction is off anyway), so every clone gives the same results.
LBB_DET_CLONES void conv_tiles_f64(const double* in, int64_t in_stride, int64_t ci_n,
                                   const int64_t* tap_off, int64_t taps, const double* wpk,
                                   const double* bias, int64_t co_blocks, int64_t lpad, double* acc) {
  conv_tiles_body<double>(in, in_stride, ci_n, tap_off, taps, wpk, bias, co_blocks, lpad, acc);
}
LBB_DET_CLONES void conv_tiles_f32(const float* in, int64_t in_stride, int64_t ci_n,
                                   const int64_t* tap_off, int64_t taps, const float* wpk,
                                   const float* bias, int64_t co_blocks, int64_t lpad, float* acc) {
  conv_tiles_body<float>(in, in_stride, ci_n, tap_off, taps, wpk, bias, co_blocks, lpad, acc);
}
// The convolution tiles of one arithmetic (DetProducts) for T: the kernel and the position
// block its lpad must be a multiple of.
template <typename T>
struct ConvTiles {
  void (*run)(const T*, int64_t, int64_t, const int64_t*, int64_t, const T*, const T*, int64_t, int64_t, T*);
  int64_t pos_block;
};
inline ConvTiles<double> conv_tiles_for(DetProducts p, const double*) {
  if (p == DetProducts::kFused) return {fused_conv_kernel().f64, fused_conv_kernel().pos_block_f64};
  return {conv_tiles_f64, kPosBlock<double>};
}
inline ConvTiles<float> conv_tiles_for(DetProducts p, const float*) {
  if (p == DetProducts::kFused) return {fused_conv_kernel().f32, fused_conv_kernel().pos_block_f32};
  return {conv_tiles_f32, kPosBlock<float>};
}

std::vector<float> ones(int64_t n) { return std::vector<float>(static_cast<size_t>(n), 1.f); }
std::vector<float> zeros(int64_t n) { return std::vector<float>(static_cast<size_t>(n), 0.f); }

// An activation: its double array function (det_elementwise.h), and its float32 one.
struct Activation {
  void (*in_double)(const double*, double*, int64_t);
  void (*in_float)(const float*, float*, int64_t);
};
constexpr Activation kElu{det_elu_array, det_elu_array_f32};
constexpr Activation kSigmoid{det_sigmoid_array, det_sigmoid_array_f32};
constexpr Activation kExp{det_exp_array, det_exp_array_f32};

// y[i] = f(x[i]). Double arrays: the double function. Float arrays: the float32 function if
// `activations` says so, else through double in chunks, rounded once, exactly as
// static_cast<float>(f(double(x))).
void apply_array(const double* x, double* y, int64_t n, const Activation& f, DetActivations) {
  f.in_double(x, y, n);
}
void apply_array(const float* x, float* y, int64_t n, const Activation& f, DetActivations activations) {
  if (activations == DetActivations::kFloat32) return f.in_float(x, y, n);
  constexpr int64_t kChunk = 256;
  double buf[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = n - i0 < kChunk ? n - i0 : kChunk;
    for (int64_t j = 0; j < m; ++j) buf[j] = static_cast<double>(x[i0 + j]);
    f.in_double(buf, buf, m);
    for (int64_t j = 0; j < m; ++j) y[i0 + j] = static_cast<float>(buf[j]);
  }
}

// apply_array over ranges of the array on the scratch's team (every element computed alone).
template <typename T>
void apply_array_on(const DetScratch& s, const T* x, T* y, int64_t n, const Activation& f) {
  det_parallel_ranges(s.team, n, 256, 4096,
                      [&](int64_t b, int64_t e) { apply_array(x + b, y + b, e - b, f, s.activations); });
}

// x += a ⊙ σ(b) for ab = [a; b] (each n values); overwrites b with σ(b).
template <typename T>
void gated_residual(T* x, T* ab, int64_t n, const DetScratch& s) {
  det_parallel_ranges(s.team, n, 256, 4096, [&](int64_t b, int64_t e) {
    apply_array(ab + n + b, ab + n + b, e - b, kSigmoid, s.activations);
    for (int64_t i = b; i < e; ++i) x[i] = x[i] + ab[i] * ab[n + i];
  });
}

}  // namespace

// ---- DetConv ---------------------------------------------------------------------------------

template <typename T>
DetConv<T>::DetConv(DetTensorSource& src, const std::string& name, int64_t in, int64_t out,
                    int64_t kernel)
    : in_(in), out_(out), kernel_(kernel) {
  if (kernel != 1 && kernel != 3) throw std::invalid_argument("DetConv: kernel must be 1 or 3");
  const int64_t taps = kernel * kernel, per_out = in * taps;
  const std::vector<float> v = src.get(name + ".v", {out, in, kernel, kernel}, nullptr, false);
  const std::vector<float> init_g = ones(out), init_b = zeros(out);
  const std::vector<float> g = src.get(name + ".g", {out}, &init_g, false);
  const std::vector<float> b = src.get(name + ".bias", {out}, &init_b, false);
  const int64_t blocks = (out + kCoBlock - 1) / kCoBlock;
  packed_.assign(static_cast<size_t>(blocks * in * taps * kCoBlock), T(0));
  bias_.assign(static_cast<size_t>(blocks * kCoBlock), T(0));
  for (int64_t o = 0; o < out; ++o) {
    // w = v · (g / max(||v_o||, 1e-12)), all in double, ||v_o||² summed in index order.
    double ss = 0;
    for (int64_t i = 0; i < per_out; ++i) {
      const double e = v[static_cast<size_t>(o * per_out + i)];
      ss += e * e;
    }
    double norm = std::sqrt(ss);
    if (norm < 1e-12) norm = 1e-12;
    const double factor = static_cast<double>(g[static_cast<size_t>(o)]) / norm;
    const int64_t cb = o / kCoBlock, j = o % kCoBlock;
    for (int64_t ci = 0; ci < in; ++ci)
      for (int64_t t = 0; t < taps; ++t) {
        const double w = static_cast<double>(v[static_cast<size_t>(o * per_out + ci * taps + t)]) * factor;
        packed_[static_cast<size_t>(((cb * in + ci) * taps + t) * kCoBlock + j)] = static_cast<T>(w);
      }
    bias_[static_cast<size_t>(o)] = static_cast<T>(b[static_cast<size_t>(o)]);
  }
}

template <typename T>
std::vector<double> DetConv<T>::weight() const {
  const int64_t taps = kernel_ * kernel_;
  std::vector<double> w(static_cast<size_t>(out_ * in_ * taps));
  for (int64_t o = 0; o < out_; ++o)
    for (int64_t ci = 0; ci < in_; ++ci)
      for (int64_t t = 0; t < taps; ++t)
        w[static_cast<size_t>((o * in_ + ci) * taps + t)] = static_cast<double>(
            packed_[static_cast<size_t>((((o / kCoBlock) * in_ + ci) * taps + t) * kCoBlock + o % kCoBlock)]);
  return w;
}

template <typename T>
std::vector<double> DetConv<T>::bias() const {
  return std::vector<double>(bias_.begin(), bias_.begin() + out_);
}

template <typename T>
void DetConv<T>::forward(const T* x, T* y, int64_t h, int64_t w, DetScratch& scratch) const {
  const DetTimer timer(scratch.profile, DetPart::kConvolution,
                       2.0 * static_cast<double>(in_ * out_ * kernel_ * kernel_ * h * w));
  DetScratchFrame frame(scratch);
  const ConvTiles<T> tiles = conv_tiles_for(scratch.products, x);
  const int64_t PB = tiles.pos_block;
  const int64_t n = h * w, blocks = (out_ + kCoBlock - 1) / kCoBlock;
  // The output-channel blocks in ranges on the scratch's team (each block's outputs are
  // computed alone, so the split changes nothing); a range is worth ~50k multiply-adds.
  auto run_tiles = [&](const T* stage, int64_t stride, const int64_t* off, int64_t taps, int64_t lpad, T* acc) {
    const int64_t block_w = in_ * taps * kCoBlock, per_block = block_w * lpad;
    det_parallel_ranges(scratch.team, blocks, 2, 1 + 50000 / std::max<int64_t>(per_block, 1),
                        [&](int64_t b0, int64_t b1) {
                          tiles.run(stage, stride, in_, off, taps, packed_.data() + b0 * block_w,
                                    bias_.data() + b0 * kCoBlock, b1 - b0, lpad, acc + b0 * kCoBlock * lpad);
                        });
  };
  if (kernel_ == 3) {
    // Zero-padded planes of (h+2)×(w+2); the outputs are computed on the flat grid
    // p = y·(w+2) + x, x ∈ [0, w+2) (the last two columns are junk and dropped), so that
    // every tap is a contiguous shifted read.
    const int64_t wp = w + 2, ps = (h + 2) * wp, l = h * wp, lpad = round_up(l, PB);
    const int64_t stage_n = in_ * ps + lpad;  // covers the furthest read (ci = in−1, tap 8)
    T* stage = scratch.take<T>(static_cast<size_t>(stage_n));
    std::memset(stage, 0, sizeof(T) * static_cast<size_t>(stage_n));
    for (int64_t ci = 0; ci < in_; ++ci)
      for (int64_t yy = 0; yy < h; ++yy)
        std::memcpy(stage + ci * ps + (yy + 1) * wp + 1, x + ci * n + yy * w, sizeof(T) * static_cast<size_t>(w));
    const int64_t off[9] = {0, 1, 2, wp, wp + 1, wp + 2, 2 * wp, 2 * wp + 1, 2 * wp + 2};
    T* acc = scratch.take<T>(static_cast<size_t>(blocks * kCoBlock * lpad));
    run_tiles(stage, ps, off, 9, lpad, acc);
    for (int64_t o = 0; o < out_; ++o)
      for (int64_t yy = 0; yy < h; ++yy)
        std::memcpy(y + o * n + yy * w, acc + o * lpad + yy * wp, sizeof(T) * static_cast<size_t>(w));
  } else {
    const int64_t lpad = round_up(n, PB);
    const int64_t stage_n = in_ * n + lpad;
    T* stage = scratch.take<T>(static_cast<size_t>(stage_n));
    std::memcpy(stage, x, sizeof(T) * static_cast<size_t>(in_ * n));
    std::memset(stage + in_ * n, 0, sizeof(T) * static_cast<size_t>(lpad));
    const int64_t off[1] = {0};
    T* acc = scratch.take<T>(static_cast<size_t>(blocks * kCoBlock * lpad));
    run_tiles(stage, n, off, 1, lpad, acc);
    for (int64_t o = 0; o < out_; ++o)
      std::memcpy(y + o * n, acc + o * lpad, sizeof(T) * static_cast<size_t>(n));
  }
}

// ---- DetChannelNorm ----------------------------------------------------------------------------

template <typename T>
DetChannelNorm<T>::DetChannelNorm(DetTensorSource& src, const std::string& name, int64_t channels) {
  const std::vector<float> init_w = ones(channels), init_b = zeros(channels);
  const std::vector<float> w = src.get(name + ".weight", {1, channels, 1, 1}, &init_w, false);
  const std::vector<float> b = src.get(name + ".bias", {1, channels, 1, 1}, &init_b, false);
  weight_.assign(w.begin(), w.end());
  bias_.assign(b.begin(), b.end());
}

namespace {

// Layer norm over c channels at each of n positions, in place; the loops run across positions
// (vectorized there, never across the channel sums), so every build gives the same bits.
// Positions [0, n) of planes `stride` apart.
template <typename T>
__attribute__((always_inline)) inline void channel_norm_body(T* x, int64_t stride, int64_t n, int64_t c,
                                                             const T* weight, const T* bias, T* mean, T* r) {
  const T cn = static_cast<T>(c), eps = static_cast<T>(1e-5);
  for (int64_t p = 0; p < n; ++p) mean[p] = T(0);
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t p = 0; p < n; ++p) mean[p] += x[ch * stride + p];
  for (int64_t p = 0; p < n; ++p) mean[p] = mean[p] / cn;
  for (int64_t p = 0; p < n; ++p) r[p] = T(0);
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t p = 0; p < n; ++p) {
      const T d = x[ch * stride + p] - mean[p];
      r[p] += d * d;
    }
  for (int64_t p = 0; p < n; ++p) r[p] = T(1) / std::sqrt(r[p] / cn + eps);
  for (int64_t ch = 0; ch < c; ++ch) {
    const T wc = weight[ch], bc = bias[ch];
    T* row = x + ch * stride;
    for (int64_t p = 0; p < n; ++p) row[p] = (row[p] - mean[p]) * r[p] * wc + bc;
  }
}
LBB_DET_CLONES void channel_norm(double* x, int64_t stride, int64_t n, int64_t c, const double* weight,
                                 const double* bias, double* mean, double* r) {
  channel_norm_body(x, stride, n, c, weight, bias, mean, r);
}
LBB_DET_CLONES void channel_norm(float* x, int64_t stride, int64_t n, int64_t c, const float* weight,
                                 const float* bias, float* mean, float* r) {
  channel_norm_body(x, stride, n, c, weight, bias, mean, r);
}

}  // namespace

template <typename T>
void DetChannelNorm<T>::forward(T* x, int64_t n, DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t c = static_cast<int64_t>(weight_.size());
  T* mean = scratch.take<T>(static_cast<size_t>(n));
  T* r = scratch.take<T>(static_cast<size_t>(n));
  det_parallel_ranges(scratch.team, n, 16, 64, [&](int64_t b, int64_t e) {
    channel_norm(x + b, n, e - b, c, weight_.data(), bias_.data(), mean + b, r + b);
  });
}

// ---- DetGatedConv ------------------------------------------------------------------------------

template <typename T>
DetGatedConv<T>::DetGatedConv(DetTensorSource& src, const std::string& name, int64_t channels)
    : channels_(channels),
      conv1_(src, name + ".conv1", channels, channels, 3),
      conv2_(src, name + ".conv2", channels, 2 * channels, 3) {}

template <typename T>
void DetGatedConv<T>::forward(T* x, int64_t h, int64_t w, DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t n = h * w, cn = channels_ * n;
  T* t = scratch.take<T>(static_cast<size_t>(cn));
  apply_array_on(scratch, x, t, cn, kElu);
  T* h1 = scratch.take<T>(static_cast<size_t>(cn));
  conv1_.forward(t, h1, h, w, scratch);
  apply_array_on(scratch, h1, h1, cn, kElu);
  T* ab = scratch.take<T>(static_cast<size_t>(2 * cn));
  conv2_.forward(h1, ab, h, w, scratch);
  gated_residual(x, ab, cn, scratch);
}

// ---- DetGatedAttention -------------------------------------------------------------------------

template <typename T>
DetGatedAttention<T>::DetGatedAttention(DetTensorSource& src, const std::string& name,
                                        int64_t channels, int64_t heads)
    : channels_(channels),
      heads_(heads),
      qkv_(src, name + ".qkv", channels, 3 * channels, 1),
      proj_(src, name + ".proj", channels, 2 * channels, 1) {
  if (heads <= 0 || channels % heads != 0)
    throw std::invalid_argument("DetGatedAttention: channels must be divisible by heads");
}

template <typename T>
void DetGatedAttention<T>::forward(T* x, int64_t h, int64_t w, DetScratch& scratch) const {
  DetScratchFrame frame(scratch);
  const int64_t n = h * w, c = channels_, dh = c / heads_;
  T* t = scratch.take<T>(static_cast<size_t>(3 * c * n));
  qkv_.forward(x, t, h, w, scratch);
  T* o = scratch.take<T>(static_cast<size_t>(c * n));
  T* vt = scratch.take<T>(static_cast<size_t>(n * dh));
  // Per range of queries (the team's parts): the scores s and one output column ot.
  const int64_t parts = det_max_parts(scratch.team);
  T* s_all = scratch.take<T>(static_cast<size_t>(parts * n));
  T* ot_all = scratch.take<T>(static_cast<size_t>(parts * dh));
  const T root = static_cast<T>(std::sqrt(static_cast<double>(dh)));
  for (int64_t hd = 0; hd < heads_; ++hd) {
    // Scores and weighted sums: n²·dh multiply-adds each (the projections are convolutions).
    const DetTimer timer(scratch.profile, DetPart::kAttention, 4.0 * static_cast<double>(n * n * dh));
    const T* q = t + (hd * dh) * n;
    const T* k = t + (c + hd * dh) * n;
    const T* v = t + (2 * c + hd * dh) * n;
    for (int64_t d = 0; d < dh; ++d)
      for (int64_t j = 0; j < n; ++j) vt[j * dh + d] = v[d * n + j];
    // Queries in ranges on the team: each query's output is computed alone.
    det_parallel_parts(scratch.team, n, 1, 1 + 20000 / std::max<int64_t>(n * dh, 1),
                       [&](int64_t part, int64_t i0, int64_t i1) {
      T* s = s_all + part * n;
      T* ot = ot_all + part * dh;
      for (int64_t i = i0; i < i1; ++i) {
        // scores s_j = (Σ_d q[d][i]·k[d][j]) / √dh, d ascending.
        for (int64_t j = 0; j < n; ++j) s[j] = T(0);
        for (int64_t d = 0; d < dh; ++d) {
          const T qd = q[d * n + i];
          const T* kd = k + d * n;
          for (int64_t j = 0; j < n; ++j) s[j] += qd * kd[j];
        }
        T m = s[0] / root;
        for (int64_t j = 0; j < n; ++j) {
          s[j] = s[j] / root;
          m = s[j] > m ? s[j] : m;
        }
        // softmax over keys j: e_j / Σ_j e_j, j ascending.
        for (int64_t j = 0; j < n; ++j) s[j] = s[j] - m;
        apply_array(s, s, n, kExp, scratch.activations);
        T sum = T(0);
        for (int64_t j = 0; j < n; ++j) sum += s[j];
        for (int64_t j = 0; j < n; ++j) s[j] = s[j] / sum;
        // o[d][i] = Σ_j v[d][j]·attn[i][j], j ascending (vectorized across d).
        for (int64_t d = 0; d < dh; ++d) ot[d] = T(0);
        for (int64_t j = 0; j < n; ++j) {
          const T a = s[j];
          const T* vj = vt + j * dh;
          for (int64_t d = 0; d < dh; ++d) ot[d] += a * vj[d];
        }
        for (int64_t d = 0; d < dh; ++d) o[(hd * dh + d) * n + i] = ot[d];
      }
    });
  }
  T* ab = scratch.take<T>(static_cast<size_t>(2 * c * n));
  proj_.forward(o, ab, h, w, scratch);
  gated_residual(x, ab, c * n, scratch);
}

// ---- DetConditioner ----------------------------------------------------------------------------

template <typename T>
DetConditioner<T>::DetConditioner(DetTensorSource& src, const std::string& name, int64_t in,
                                  int64_t filters, int64_t out, int64_t blocks, bool attention,
                                  int64_t heads) {
  conv_in_ = DetConv<T>(src, name + ".conv_in", in, filters, 3);
  for (int64_t b = 0; b < blocks; ++b) {
    const std::string sb = std::to_string(b);
    convs_.emplace_back(src, name + ".conv" + sb, filters);
    norms_.emplace_back(src, name + ".norm_conv" + sb, filters);
    if (attention) {
      attns_.emplace_back(src, name + ".attn" + sb, filters, heads);
      norms_.emplace_back(src, name + ".norm_attn" + sb, filters);
    }
  }
  conv_out_ = DetConv<T>(src, name + ".conv_out", filters, out, 3);
}

template <typename T>
void DetConditioner<T>::forward(const T* x, T* y, int64_t h, int64_t w, DetScratch& scratch) const {
  const DetTimer timer(scratch.profile, DetPart::kNetworkOther);  // what its parts leave over
  DetScratchFrame frame(scratch);
  const int64_t n = h * w, f = conv_in_.out();
  T* hb = scratch.take<T>(static_cast<size_t>(f * n));
  conv_in_.forward(x, hb, h, w, scratch);
  size_t norm = 0;
  for (size_t b = 0; b < convs_.size(); ++b) {
    convs_[b].forward(hb, h, w, scratch);
    norms_[norm++].forward(hb, n, scratch);
    if (!attns_.empty()) {
      attns_[b].forward(hb, h, w, scratch);
      norms_[norm++].forward(hb, n, scratch);
    }
  }
  apply_array_on(scratch, hb, hb, f * n, kElu);
  conv_out_.forward(hb, y, h, w, scratch);
}

// ---- DetContextNet ------------------------------------------------------------------------------

template <typename T>
DetContextNet<T>::DetContextNet(DetTensorSource& src, const std::string& prefix, int64_t in,
                                int64_t filters, int64_t blocks) {
  ctx_in_ = DetConv<T>(src, prefix + "ctx_in", in, filters, 3);
  for (int64_t b = 0; b < blocks; ++b) {
    const std::string sb = std::to_string(b);
    blocks_.emplace_back(src, prefix + "ctx_conv" + sb, filters);
    norms_.emplace_back(src, prefix + "ctx_norm" + sb, filters);
  }
}

template <typename T>
void DetContextNet<T>::forward(const T* x, T* y, int64_t h, int64_t w, DetScratch& scratch) const {
  const DetTimer timer(scratch.profile, DetPart::kNetworkOther);
  ctx_in_.forward(x, y, h, w, scratch);
  for (size_t b = 0; b < blocks_.size(); ++b) {
    blocks_[b].forward(y, h, w, scratch);
    norms_[b].forward(y, h * w, scratch);
  }
}

template class DetConv<double>;
template class DetConv<float>;
template class DetChannelNorm<double>;
template class DetChannelNorm<float>;
template class DetGatedConv<double>;
template class DetGatedConv<float>;
template class DetGatedAttention<double>;
template class DetGatedAttention<float>;
template class DetConditioner<double>;
template class DetConditioner<float>;
template class DetContextNet<double>;
template class DetContextNet<float>;

}  // namespace lbb
