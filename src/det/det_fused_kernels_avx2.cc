// The AVX2+FMA build of the fused-product convolution tiles (det_fused_kernels.h); this file
// alone is compiled with -mavx2 -mfma (cmake/det.cmake) and runs only where the CPU has both.
#include <immintrin.h>

#include "det/det_fused_kernel_body.h"
#include "det/det_fused_kernels.h"

namespace {

struct OpsF64 {
  typedef __m256d V;
  static constexpr int64_t kLanes = 4;
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V splat(double x) { return _mm256_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
};
struct OpsF32 {
  typedef __m256 V;
  static constexpr int64_t kLanes = 8;
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V splat(float x) { return _mm256_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};

}  // namespace

namespace lbb {

// 4 output channels × 2 vectors: 8 accumulators of the 16 registers.
extern const FusedConvKernel kFusedConvAvx2 = {
    "avx2+fma", 2 * OpsF64::kLanes, 2 * OpsF32::kLanes, fused_tiles<OpsF64, double, 1, 2>,
    fused_tiles<OpsF32, float, 1, 2>};

}  // namespace lbb
