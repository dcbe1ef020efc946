// Running independent items (images, streams) on a fixed number of threads (DESIGN.md §5: a
// result never depends on the thread count).
#pragma once

#include <cstdint>
#include <functional>

#include "det/det_tensor.h"

namespace lbb {

// Runs fn(i, scratch) for i in [0, n) on `threads` std::threads (each with its own
// scratch, items handed out in order).  Per-item results cannot depend on `threads`.
// With fewer items than threads, each worker's scratch gets a DetTeam of the threads
// left over (threads / n in all), so that even one item uses every thread.  If items
// throw, no further item starts and the lowest one's exception is rethrown (the same error
// for any thread count).
void parallel_items(int64_t n, int threads, const std::function<void(int64_t, DetScratch&)>& fn);

}  // namespace lbb
