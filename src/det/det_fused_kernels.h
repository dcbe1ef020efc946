// Fused-product convolution tiles for the deterministic evaluator (det_net.cc), container
// version ≥ 5: every product is accumulated with one fused multiply-add (one rounding),
//   acc[o][p] = fma(w[o][ci][t], in[ci][p + off_t], acc[o][p]),  acc starting at bias[o],
// ci ascending, then taps: the order of the separate-product kernel, one rounding fewer per
// term.  Three builds do the same IEEE operations per lane, so their results are identical:
// AVX-512F and AVX2+FMA (hardware FMA) and a baseline that calls std::fma (correctly rounded
// in software where the CPU has no FMA; slow, but it decodes the same bits anywhere).
// Layouts as in det_net.cc's conv_tiles: in = planes of stride in_stride, read at p + tap_off[t]
// (readable up to lpad past every plane); wpk = [co block][ci][tap][4]; acc = [co blocks·4][lpad]
// with lpad a multiple of pos_block.
#pragma once

#include <cstdint>

namespace lbb {

template <typename T>
using FusedConvTiles = void (*)(const T* in, int64_t in_stride, int64_t ci_n, const int64_t* tap_off,
                                int64_t taps, const T* wpk, const T* bias, int64_t co_blocks, int64_t lpad,
                                T* acc);

struct FusedConvKernel {
  const char* isa;  // "avx512f", "avx2+fma" or "baseline"
  int64_t pos_block_f64, pos_block_f32;
  FusedConvTiles<double> f64;
  FusedConvTiles<float> f32;
};

// The fastest build this CPU runs (the baseline alone when built with LBB_DET_NO_CLONES or
// off x86-64); chosen once.
const FusedConvKernel& fused_conv_kernel();

// Every build this binary has that this CPU runs, baseline first (for tests).
int fused_conv_kernel_count();
const FusedConvKernel& fused_conv_kernel_at(int i);

}  // namespace lbb
