#include "det/det_parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "det/det_team.h"

namespace lbb {

void parallel_items(int64_t n, int threads, const std::function<void(int64_t, DetScratch&)>& fn) {
  const int64_t t = std::max<int64_t>(1, std::min<int64_t>(threads, n));
  const int team_size = static_cast<int>(std::max<int64_t>(1, threads / t));
  // A worker's scratch, with its team when there are threads to spare.
  auto worker_scratch = [team_size](std::unique_ptr<DetTeam>* team) {
    DetScratch scratch;
    if (team_size > 1) {
      *team = std::make_unique<DetTeam>(team_size);
      scratch.team = team->get();
    }
    return scratch;
  };
  if (t <= 1) {
    std::unique_ptr<DetTeam> team;
    DetScratch scratch = worker_scratch(&team);
    for (int64_t i = 0; i < n; ++i) fn(i, scratch);
    return;
  }
  std::atomic<int64_t> next{0};
  std::exception_ptr error;  // of the lowest item that failed: items are handed out in order
  int64_t error_item = n;    // and none is abandoned, so that is the same for any thread count
  std::mutex error_mutex;
  auto worker = [&]() {
    std::unique_ptr<DetTeam> team;
    DetScratch scratch = worker_scratch(&team);
    for (;;) {
      const int64_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        fn(i, scratch);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (i < error_item) error = std::current_exception(), error_item = i;
        next.store(n);
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int64_t i = 0; i < t; ++i) pool.emplace_back(worker);
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace lbb
