// One thread per run (DESIGN.md §10): LibTorch's intra-op pool and OpenBLAS both run on the
// calling thread, so a run's arithmetic never depends on scheduling. Runs go side by side
// as processes instead.
#pragma once

namespace lbb::imitation {

void use_one_thread();

}  // namespace lbb::imitation
