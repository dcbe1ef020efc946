// The AVX-512F build of the fused-product convolution tiles (det_fused_kernels.h); this file
// alone is compiled with -mavx512f -mfma (cmake/det.cmake) and runs only where the CPU has both.
#include <immintrin.h>

#include "det/det_fused_kernel_body.h"
#include "det/det_fused_kernels.h"

namespace {

struct OpsF64 {
  typedef __m512d V;
  static constexpr int64_t kLanes = 8;
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  static V splat(double x) { return _mm512_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
};
struct OpsF32 {
  typedef __m512 V;
  static constexpr int64_t kLanes = 16;
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V splat(float x) { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
};

}  // namespace

namespace lbb {

// 8 output channels × 2 vectors: 16 accumulators of the 32 registers.
extern const FusedConvKernel kFusedConvAvx512 = {
    "avx512f", 2 * OpsF64::kLanes, 2 * OpsF32::kLanes, fused_tiles<OpsF64, double, 2, 2>,
    fused_tiles<OpsF32, float, 2, 2>};

}  // namespace lbb
