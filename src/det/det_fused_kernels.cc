// The baseline build of the fused-product convolution tiles and the choice among the builds
// (det_fused_kernels.h).
#include "det/det_fused_kernels.h"

#include <cmath>

#include "det/det_fused_kernel_body.h"

namespace {

// One lane: std::fma is the correctly rounded a·b + c (hardware FMA or glibc's exact software
// fallback), the same value the vector builds compute.
template <typename T>
struct OpsScalar {
  typedef T V;
  static constexpr int64_t kLanes = 1;
  static V load(const T* p) { return *p; }
  static void store(T* p, V v) { *p = v; }
  static V splat(T x) { return x; }
  static V fma(V a, V b, V c) { return std::fma(a, b, c); }
};

}  // namespace

namespace lbb {

#if defined(LBB_FUSED_X86) && !defined(LBB_DET_NO_CLONES)
extern const FusedConvKernel kFusedConvAvx512, kFusedConvAvx2;  // det_fused_kernels_avx*.cc
#endif

namespace {

const FusedConvKernel kFusedConvBaseline = {"baseline", 4, 4, fused_tiles<OpsScalar<double>, double, 1, 4>,
                                            fused_tiles<OpsScalar<float>, float, 1, 4>};

struct Available {
  const FusedConvKernel* kernels[3];
  int n = 0;
  Available() {
    kernels[n++] = &kFusedConvBaseline;
#if defined(LBB_FUSED_X86) && !defined(LBB_DET_NO_CLONES)
    __builtin_cpu_init();
    const bool fma = __builtin_cpu_supports("fma");
    if (fma && __builtin_cpu_supports("avx2")) kernels[n++] = &kFusedConvAvx2;
    if (fma && __builtin_cpu_supports("avx512f")) kernels[n++] = &kFusedConvAvx512;
#endif
  }
};

const Available& available() {
  static const Available a;
  return a;
}

}  // namespace

const FusedConvKernel& fused_conv_kernel() { return *available().kernels[available().n - 1]; }
int fused_conv_kernel_count() { return available().n; }
const FusedConvKernel& fused_conv_kernel_at(int i) { return *available().kernels[i]; }

}  // namespace lbb
