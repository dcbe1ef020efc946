// Thread settings for LibTorch work (training, evaluation, benchmarks).
#pragma once

namespace lbb {

// Sets LibTorch's intra-op thread count (0 = all cores) and keeps OpenBLAS single-threaded:
// LibTorch parallelizes over the batch itself, and OpenBLAS threads on top of that made the
// attention's batched matmuls 4x slower on this machine.
void configure_threads(int threads);

}  // namespace lbb
