// The body of the fused-product convolution tiles (det_fused_kernels.h), included by each
// per-ISA translation unit with its own Ops:
//   Ops::V, Ops::kLanes, load(p), store(p, v), splat(x), fma(a, b, c) = a·b + c rounded once.
// Register tile: CB blocks of 4 output channels × NV vectors of positions.  Everything here
// has internal linkage, so the per-ISA copies never merge at link time.
#pragma once

#include <cstdint>

namespace {

template <class Ops, typename T, int CB, int NV>
inline void fused_block(const T* in, int64_t in_stride, int64_t ci_n, const int64_t* tap_off, int64_t taps,
                        const T* wpk, const T* bias, int64_t cb0, int64_t lpad, T* acc) {
  typedef typename Ops::V V;
  constexpr int64_t L = Ops::kLanes;
  const int64_t block_w = ci_n * taps * 4;
  for (int64_t p0 = 0; p0 < lpad; p0 += NV * L) {
    V a[CB * 4][NV];
#pragma GCC unroll 16
    for (int j = 0; j < CB * 4; ++j)
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) a[j][v] = Ops::splat(bias[cb0 * 4 + j]);
    const T* wp[CB];
#pragma GCC unroll 16
    for (int b = 0; b < CB; ++b) wp[b] = wpk + (cb0 + b) * block_w;
    for (int64_t ci = 0; ci < ci_n; ++ci) {
      const T* base = in + ci * in_stride + p0;
      for (int64_t t = 0; t < taps; ++t) {
        const T* src = base + tap_off[t];
        V x[NV];
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) x[v] = Ops::load(src + v * L);
#pragma GCC unroll 16
        for (int b = 0; b < CB; ++b) {
#pragma GCC unroll 16
          for (int j = 0; j < 4; ++j) {
            const V w = Ops::splat(wp[b][j]);
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) a[b * 4 + j][v] = Ops::fma(w, x[v], a[b * 4 + j][v]);
          }
          wp[b] += 4;
        }
      }
    }
#pragma GCC unroll 16
    for (int j = 0; j < CB * 4; ++j)
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) Ops::store(acc + (cb0 * 4 + j) * lpad + p0 + v * L, a[j][v]);
  }
}

// All co blocks: CB at a time, the remainder one at a time.  lpad is a multiple of NV·lanes.
template <class Ops, typename T, int CB, int NV>
void fused_tiles(const T* in, int64_t in_stride, int64_t ci_n, const int64_t* tap_off, int64_t taps,
                 const T* wpk, const T* bias, int64_t co_blocks, int64_t lpad, T* acc) {
  int64_t cb = 0;
  for (; cb + CB <= co_blocks; cb += CB)
    fused_block<Ops, T, CB, NV>(in, in_stride, ci_n, tap_off, taps, wpk, bias, cb, lpad, acc);
  for (; cb < co_blocks; ++cb)
    fused_block<Ops, T, 1, NV>(in, in_stride, ci_n, tap_off, taps, wpk, bias, cb, lpad, acc);
}

}  // namespace
