// The convolution kernels of the deterministic evaluator (det_net.h, det_fused_kernels.h)
// against a plain reference that spells out the contract: bias, then every product in the
// order ci ascending, taps row-major, rounded as the arithmetic says (product then sum, or
// one fused multiply-add, std::fma).  Every build of the fused kernel this CPU runs
// (baseline, AVX2+FMA, AVX-512F) must give exactly the reference's bits.  Also the network's
// float32 activations (det_elementwise.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "det/det_elementwise.h"
#include "det/det_flow.h"
#include "det/det_fused_kernels.h"
#include "det/det_net.h"

namespace lbb {
namespace {

template <typename T>
std::vector<T> reference_conv(const DetConv<T>& conv, const std::vector<T>& x, int64_t h, int64_t w, bool fused) {
  const std::vector<double> wt = conv.weight(), b = conv.bias();
  const int64_t in = conv.in(), out = conv.out(), k = conv.kernel(), r = k / 2, n = h * w;
  std::vector<T> y(static_cast<size_t>(out * n));
  for (int64_t o = 0; o < out; ++o)
    for (int64_t yy = 0; yy < h; ++yy)
      for (int64_t xx = 0; xx < w; ++xx) {
        T acc = static_cast<T>(b[o]);
        for (int64_t ci = 0; ci < in; ++ci)
          for (int64_t ky = 0; ky < k; ++ky)
            for (int64_t kx = 0; kx < k; ++kx) {
              const int64_t sy = yy + ky - r, sx = xx + kx - r;
              const T v = sy < 0 || sy >= h || sx < 0 || sx >= w ? T(0) : x[(ci * h + sy) * w + sx];
              const T wv = static_cast<T>(wt[((o * in + ci) * k + ky) * k + kx]);
              acc = fused ? std::fma(wv, v, acc) : acc + wv * v;
            }
        y[(o * h + yy) * w + xx] = acc;
      }
  return y;
}

template <typename T>
std::vector<T> random_input(int64_t size, uint64_t seed) {
  std::vector<T> x(static_cast<size_t>(size));
  for (auto& v : x) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<T>(static_cast<double>(seed >> 11) * 0x1p-53 * 4.0 - 2.0);
  }
  return x;
}

template <typename T>
void check_shapes(DetProducts products) {
  struct Shape {
    int64_t in, out, kernel, h, w;
  };
  // Odd sizes: outputs not a multiple of the register tile, rows shorter than a vector.
  for (const Shape s : {Shape{3, 5, 3, 7, 7}, Shape{8, 16, 3, 14, 14}, Shape{4, 12, 1, 5, 9}, Shape{16, 8, 3, 1, 1},
                        Shape{2, 9, 3, 3, 17}, Shape{6, 20, 1, 7, 7}}) {
    DetSyntheticSource src(s.in * 131 + s.out * 7 + s.kernel, 0.5);
    const DetConv<T> conv(src, "conv", s.in, s.out, s.kernel);
    const std::vector<T> x = random_input<T>(s.in * s.h * s.w, static_cast<uint64_t>(s.h * 31 + s.w));
    std::vector<T> y(static_cast<size_t>(s.out * s.h * s.w));
    DetScratch scratch;
    scratch.products = products;
    conv.forward(x.data(), y.data(), s.h, s.w, scratch);
    const std::vector<T> ref = reference_conv(conv, x, s.h, s.w, products == DetProducts::kFused);
    ASSERT_EQ(std::memcmp(y.data(), ref.data(), y.size() * sizeof(T)), 0)
        << "in " << s.in << " out " << s.out << " kernel " << s.kernel << " " << s.h << "x" << s.w;
  }
}

TEST(DetKernels, SeparateProductsMatchTheReference) {
  check_shapes<double>(DetProducts::kSeparate);
  check_shapes<float>(DetProducts::kSeparate);
}

TEST(DetKernels, FusedProductsMatchTheReference) {
  check_shapes<double>(DetProducts::kFused);
  check_shapes<float>(DetProducts::kFused);
}

// Every fused build this CPU runs, called directly on one 3×3 layer, against the baseline.
template <typename T>
void check_builds(FusedConvTiles<T> FusedConvKernel::*run, int64_t FusedConvKernel::*pos_block) {
  const int64_t ci_n = 5, co_blocks = 3, h = 6, w = 11, wp = w + 2, ps = (h + 2) * wp, l = h * wp;
  const int64_t off[9] = {0, 1, 2, wp, wp + 1, wp + 2, 2 * wp, 2 * wp + 1, 2 * wp + 2};
  const std::vector<T> wpk = random_input<T>(co_blocks * ci_n * 9 * 4, 1), bias = random_input<T>(co_blocks * 4, 2);
  std::vector<T> ref;
  for (int i = 0; i < fused_conv_kernel_count(); ++i) {
    const FusedConvKernel& k = fused_conv_kernel_at(i);
    const int64_t lpad = (l + k.*pos_block - 1) / k.*pos_block * k.*pos_block;
    const std::vector<T> in = random_input<T>(ci_n * ps + lpad + 64, 3);
    std::vector<T> acc(static_cast<size_t>(co_blocks * 4 * lpad));
    (k.*run)(in.data(), ps, ci_n, off, 9, wpk.data(), bias.data(), co_blocks, lpad, acc.data());
    std::vector<T> kept;  // the first l positions of every output row
    for (int64_t o = 0; o < co_blocks * 4; ++o) kept.insert(kept.end(), acc.begin() + o * lpad, acc.begin() + o * lpad + l);
    if (i == 0) {
      ref = kept;
    } else {
      EXPECT_EQ(std::memcmp(kept.data(), ref.data(), ref.size() * sizeof(T)), 0) << k.isa << " differs from baseline";
    }
  }
}

TEST(DetKernels, EveryFusedBuildGivesTheBaselineBits) {
  std::printf("fused kernel builds on this CPU:");
  for (int i = 0; i < fused_conv_kernel_count(); ++i) std::printf(" %s", fused_conv_kernel_at(i).isa);
  std::printf(" (in use: %s)\n", fused_conv_kernel().isa);
  check_builds<double>(&FusedConvKernel::f64, &FusedConvKernel::pos_block_f64);
  check_builds<float>(&FusedConvKernel::f32, &FusedConvKernel::pos_block_f32);
}

// The two arithmetics are different functions: fusing changes some outputs (else version 5
// would not need its own number).
TEST(DetKernels, FusedAndSeparateDiffer) {
  DetSyntheticSource src(7, 0.5);
  const DetConv<double> conv(src, "conv", 16, 16, 3);
  const std::vector<double> x = random_input<double>(16 * 8 * 8, 9);
  std::vector<double> a(16 * 64), b(16 * 64);
  DetScratch s;
  conv.forward(x.data(), a.data(), 8, 8, s);
  s.products = DetProducts::kFused;
  conv.forward(x.data(), b.data(), 8, 8, s);
  EXPECT_NE(a, b);
}

// The float32 activations (DetActivations::kFloat32): close to the exact functions, NaN kept,
// and each element's result independent of where it lies in the array (full vectors, the
// padded tail, in place).
TEST(DetActivations, Float32AreAccurateAndPositionIndependent) {
  std::mt19937_64 rng(5);
  std::vector<float> x;
  const float inf = std::numeric_limits<float>::infinity();
  for (float e : {0.0f, -0.0f, 0.5f, -0.5f, -0.49999997f, -87.0f, -87.5f, 88.0f, 89.0f, -200.0f, 1e-30f, -1e-30f,
                  inf, -inf})
    x.push_back(e);
  for (int i = 0; i < 100000; ++i) {
    if (i % 2) x.push_back(std::uniform_real_distribution<float>(-90, 90)(rng));
    else x.push_back(std::uniform_real_distribution<float>(-3, 3)(rng));
  }
  const int64_t n = static_cast<int64_t>(x.size());
  using Fn = void (*)(const float*, float*, int64_t);
  struct Case {
    Fn f;
    double (*exact)(double);
    const char* name;
  };
  const Case cases[] = {
      {det_exp_array_f32, [](double v) { return std::exp(std::clamp(v, -87.0, 88.0)); }, "exp"},
      {det_elu_array_f32, [](double v) { return v > 0 ? v : std::expm1(std::max(v, -87.0)); }, "elu"},
      {det_sigmoid_array_f32, [](double v) { return 1.0 / (1.0 + std::exp(-std::clamp(v, -87.0, 87.0))); }, "sigmoid"},
  };
  for (const Case& c : cases) {
    std::vector<float> y(x.size());
    c.f(x.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const double e = c.exact(x[i]);
      if (std::isinf(e)) {  // elu(∞)
        ASSERT_EQ(y[i], e) << c.name;
        continue;
      }
      // Relative error for exp; absolute (against max(|y|, 1)) for elu and sigmoid.
      const double tol = 4e-7 * std::max(std::fabs(e), c.f == det_exp_array_f32 ? 0.0 : 1.0);
      ASSERT_LE(std::fabs(y[i] - e), tol) << c.name << "(" << x[i] << ")";
    }
    const float nan = std::numeric_limits<float>::quiet_NaN();
    float z[3] = {nan, 1.0f, -1.0f};
    c.f(z, z, 3);
    EXPECT_TRUE(std::isnan(z[0])) << c.name;
    // Position independence: every element alone (a padded tail of 1), and in place.
    for (int64_t i = 0; i < n; i += 97) {
      float one;
      c.f(&x[i], &one, 1);
      ASSERT_EQ(std::memcmp(&one, &y[i], sizeof one), 0) << c.name << "(" << x[i] << ") alone";
    }
    std::vector<float> w(x.begin() + 3, x.end());  // shifted by 3: other lane positions
    c.f(w.data(), w.data(), static_cast<int64_t>(w.size()));
    ASSERT_EQ(std::memcmp(w.data(), y.data() + 3, sizeof(float) * w.size()), 0) << c.name << " in place";
  }
}

}  // namespace
}  // namespace lbb
