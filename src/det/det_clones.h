// LBB_DET_CLONES: the target clones (AVX-512F, AVX2, baseline) the det kernels are built for,
// picked once by the loader (ifunc) where GCC on x86-64 ELF supports it.  Every clone does the
// same IEEE operations per lane (-ffp-contract=off), so results never depend on the clone.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__) && \
    !defined(LBB_DET_NO_CLONES)
#define LBB_DET_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LBB_DET_CLONES
#endif
