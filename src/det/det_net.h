// Deterministic, torch-free evaluation of the conditioner networks of src/flow/layers.h
// (WnConv2d, ELU, sigmoid, ChannelNorm, GatedConv, GatedAttention, Conditioner), one image
// at a time.  T = double (default; matches LibTorch float64 to ~1e-15 relative) or float.
//
// Determinism contract (DESIGN.md §5): every output element is computed by the same
// sequence of IEEE operations whatever the thread count, the batch the image came in, the
// tile sizes or the SIMD width:
//  * convolutions accumulate bias, then Σ over input channel ci = 0, 1, … and kernel tap
//    (ky, kx) in row-major order, with the scratch's DetProducts: one rounding per multiply
//    and per add (kSeparate), or one explicit fused multiply-add per term (kFused,
//    det_fused_kernels.h); never a contraction the compiler chose (-ffp-contract=off, never
//    -ffast-math); they are vectorized across output positions only, never across a reduction;
//  * channel-norm means/variances sum channels in increasing order; attention sums heads'
//    dot products over d ascending and softmax / weighted sums over key positions ascending;
//  * transcendental functions come from model/det_math.h (det_exp, det_log) via
//    det/det_elementwise.h; float networks evaluate them in double and round once, or, with
//    the scratch's DetActivations::kFloat32, by det_elementwise.h's float32 functions.
// On x86-64 with GCC the separate-product kernel, the channel norm and the array functions of
// det_elementwise.h are compiled three times (AVX-512F, AVX2 and baseline SSE2, chosen at load
// time; the fused kernel has its own builds, det_fused_kernels.h); all perform the same
// operations per lane, so results are equal (DetFlow.GoldenHash: the same hash from GCC 12
// -O0/-O3/-march=native, AVX2 and SSE2 kernels, and clang 14).  Define LBB_DET_NO_CLONES to
// build only the baseline kernels.
// float32 networks: activations, weights and accumulations in float (same order), the
// transcendental functions as the scratch's DetActivations says (above).
//
// Activations are planar [C][H·W] arrays of T.  Work memory comes from a DetScratch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "det/det_tensor.h"

namespace lbb {

// Source of model weights: float32 values by their LibTorch name (FlowModel's
// named_parameters() / named_buffers()).  get() must throw (InputError) when the tensor is
// missing or has another shape.  `init`: the value the architecture expects for buffers and
// at initialization (used by synthetic sources; may be nullptr).  `exact`: the value is
// structural (a mask, mixture offsets): a synthetic source must return `init` unchanged and
// an archive source may check it.
class DetTensorSource {
 public:
  virtual ~DetTensorSource() = default;
  virtual std::vector<float> get(const std::string& name, const std::vector<int64_t>& shape,
                                 const std::vector<float>* init, bool exact) = 0;
};

// Weight-normalized convolution (WnConv2dImpl): w = g·v/max(||v_o||, 1e-12) per output
// channel o, computed once at load in double (||v_o||² summed over the flattened [in, k, k]
// index ascending), then rounded to T; same zero padding; kernel 1 or 3.
template <typename T>
class DetConv {
 public:
  DetConv() = default;
  DetConv(DetTensorSource& src, const std::string& name, int64_t in, int64_t out, int64_t kernel);

  // y[out][h·w] = conv(x[in][h·w]).  x and y may not overlap.
  void forward(const T* x, T* y, int64_t h, int64_t w, DetScratch& scratch) const;

  int64_t in() const { return in_; }
  int64_t out() const { return out_; }
  int64_t kernel() const { return kernel_; }
  // Effective weight [out][in][k][k] and bias as used (converted to double), for tests.
  std::vector<double> weight() const;
  std::vector<double> bias() const;

 private:
  int64_t in_ = 0, out_ = 0, kernel_ = 0;
  std::vector<T> packed_;  // [out blocks][in][k·k][kCoBlock], zero rows past `out`
  std::vector<T> bias_;    // [out blocks · kCoBlock]
};

// Layer norm over channels at each position (ChannelNormImpl), eps 1e-5, in place.
template <typename T>
class DetChannelNorm {
 public:
  DetChannelNorm() = default;
  DetChannelNorm(DetTensorSource& src, const std::string& name, int64_t channels);
  void forward(T* x, int64_t positions, DetScratch& scratch) const;

 private:
  std::vector<T> weight_, bias_;
};

// x + a ⊙ σ(b), [a, b] = conv2(elu(conv1(elu(x)))) (GatedConvImpl), in place.
template <typename T>
class DetGatedConv {
 public:
  DetGatedConv() = default;
  DetGatedConv(DetTensorSource& src, const std::string& name, int64_t channels);
  void forward(T* x, int64_t h, int64_t w, DetScratch& scratch) const;

 private:
  int64_t channels_ = 0;
  DetConv<T> conv1_, conv2_;
};

// x + a ⊙ σ(b), [a, b] = proj(multi-head softmax self-attention over the H·W positions)
// (GatedAttentionImpl), in place.
template <typename T>
class DetGatedAttention {
 public:
  DetGatedAttention() = default;
  DetGatedAttention(DetTensorSource& src, const std::string& name, int64_t channels, int64_t heads);
  void forward(T* x, int64_t h, int64_t w, DetScratch& scratch) const;

 private:
  int64_t channels_ = 0, heads_ = 1;
  DetConv<T> qkv_, proj_;
};

// conv_in -> blocks × [gated conv, norm, (gated attention, norm)] -> elu -> conv_out
// (ConditionerImpl).
template <typename T>
class DetConditioner {
 public:
  DetConditioner() = default;
  DetConditioner(DetTensorSource& src, const std::string& name, int64_t in, int64_t filters,
                 int64_t out, int64_t blocks, bool attention, int64_t heads);
  // y[out][h·w] = net(x[in][h·w]).
  void forward(const T* x, T* y, int64_t h, int64_t w, DetScratch& scratch) const;
  int64_t in() const { return conv_in_.in(); }
  int64_t out() const { return conv_out_.out(); }
  int64_t filters() const { return conv_in_.out(); }

 private:
  DetConv<T> conv_in_, conv_out_;
  std::vector<DetGatedConv<T>> convs_;
  std::vector<DetGatedAttention<T>> attns_;
  std::vector<DetChannelNorm<T>> norms_;
};

// The dequantizer's context network on x°/255 − 1/2: ctx_in, then blocks × [gated conv, norm]
// (DequantizerImpl::context).
template <typename T>
class DetContextNet {
 public:
  DetContextNet() = default;
  DetContextNet(DetTensorSource& src, const std::string& prefix, int64_t in, int64_t filters,
                int64_t blocks);
  void forward(const T* x, T* y, int64_t h, int64_t w, DetScratch& scratch) const;
  int64_t out() const { return ctx_in_.out(); }

 private:
  DetConv<T> ctx_in_;
  std::vector<DetGatedConv<T>> blocks_;
  std::vector<DetChannelNorm<T>> norms_;
};

}  // namespace lbb
