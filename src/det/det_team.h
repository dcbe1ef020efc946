// DetTeam: a few threads that share the work of ONE evaluation (one image or tile of one
// stream), so that decoding a single stream still uses every core (issue: coding speed).
//
// Determinism (DESIGN.md §5): work is only ever split where every output element is computed
// by the same IEEE operations whichever thread computes it — a convolution's output-channel
// blocks, ranges of elements of an elementwise array, positions of a channel norm, attention's
// queries. No reduction is ever split, so results and bytes never depend on the team's size.
//
// Helpers spin for up to half a millisecond between jobs (an image's parallel regions come every
// few tens to hundreds of microseconds, between them the entropy coder runs serially), then sleep.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>

namespace lbb {

class DetTeam {
 public:
  // `size` threads in all: the caller of run() and size − 1 helpers (size >= 1).
  explicit DetTeam(int size);
  ~DetTeam();
  DetTeam(const DetTeam&) = delete;
  DetTeam& operator=(const DetTeam&) = delete;

  int size() const { return size_; }
  // Runs f(i) for every i in [0, n), spread over the team (the caller takes part), and
  // returns when all are done. If some f(i) throw, one of their exceptions is rethrown.
  // Not reentrant: f must not call run() on the same team.
  void run(int64_t n, const std::function<void(int64_t)>& f);

 private:
  struct State;
  int size_ = 1;
  std::unique_ptr<State> state_;
};

// The most parts det_parallel_parts / det_parallel_ranges split work into on `team`.
inline int64_t det_max_parts(const DetTeam* team) { return team ? 2 * static_cast<int64_t>(team->size()) : 1; }

// Splits [0, n) into at most det_max_parts(team) ranges whose boundaries are multiples of
// `align`, each at least `min_part` long, and runs f(part, begin, end) for each (part <
// det_max_parts: an index for per-part buffers): on the team when there is one and the work
// is large enough, else as one call f(0, 0, n).
template <class F>
void det_parallel_parts(DetTeam* team, int64_t n, int64_t align, int64_t min_part, F&& f) {
  int64_t parts = std::min<int64_t>(det_max_parts(team), n / std::max<int64_t>(min_part, 1));
  if (parts <= 1) {
    if (n > 0) f(int64_t{0}, int64_t{0}, n);
    return;
  }
  const int64_t units = (n + align - 1) / align;  // aligned units, split as evenly as possible
  parts = std::min(parts, units);
  team->run(parts, [&](int64_t i) {
    const int64_t begin = std::min(n, units * i / parts * align), end = std::min(n, units * (i + 1) / parts * align);
    if (begin < end) f(i, begin, end);
  });
}

// The same, f(begin, end).
template <class F>
void det_parallel_ranges(DetTeam* team, int64_t n, int64_t align, int64_t min_part, F&& f) {
  det_parallel_parts(team, n, align, min_part, [&](int64_t, int64_t begin, int64_t end) { f(begin, end); });
}

}  // namespace lbb
