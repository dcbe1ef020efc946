// DetTeam (det/det_team.h): every task runs exactly once per run() however the helpers are
// scheduled, the helpers do take part, exceptions reach the caller, and det_parallel_ranges
// covers [0, n) with aligned, disjoint ranges.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "det/det_team.h"

namespace lbb {
namespace {

TEST(DetTeam, EveryTaskRunsOnceOnEveryRun) {
  for (int size : {1, 2, 3, 5}) {
    DetTeam team(size);
    EXPECT_EQ(team.size(), size);
    std::vector<std::atomic<int>> hits(37);
    for (int run = 0; run < 2000; ++run) {
      const int64_t n = run % 37 + 1;
      team.run(n, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].exchange(0), 1) << size << " " << run;
      for (int64_t i = n; i < 37; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 0);
    }
  }
}

TEST(DetTeam, HelpersTakePart) {
  DetTeam team(2);
  std::set<std::thread::id> ids;
  std::mutex m;
  for (int run = 0; run < 200 && ids.size() < 2; ++run)
    team.run(64, [&](int64_t) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));  // long enough for a helper to join
      std::lock_guard<std::mutex> lock(m);
      ids.insert(std::this_thread::get_id());
    });
  EXPECT_EQ(ids.size(), 2u);
}

TEST(DetTeam, ExceptionsReachTheCallerAndTheTeamGoesOn) {
  DetTeam team(3);
  EXPECT_THROW(team.run(16, [](int64_t i) {
    if (i == 11) throw std::runtime_error("task 11");
  }),
               std::runtime_error);
  std::atomic<int> count{0};
  team.run(16, [&](int64_t) { count.fetch_add(1); });
  EXPECT_EQ(count.load(), 16);
}

TEST(DetTeam, ParallelRangesCoverAlignedAndDisjoint) {
  DetTeam team(3);
  for (int64_t n : {0, 1, 15, 16, 17, 100, 1000, 4099}) {
    for (DetTeam* t : {static_cast<DetTeam*>(nullptr), &team}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> parts{0};
      det_parallel_ranges(t, n, 16, 10, [&](int64_t b, int64_t e) {
        parts.fetch_add(1);
        EXPECT_LT(b, e);
        EXPECT_TRUE(b % 16 == 0) << b;
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << n << " " << i;
      if (!t || n < 20) {
        EXPECT_LE(parts.load(), 1) << n;
      }
      if (t && n >= 1000) {
        EXPECT_GT(parts.load(), 1) << n;
      }
    }
  }
}

}  // namespace
}  // namespace lbb
