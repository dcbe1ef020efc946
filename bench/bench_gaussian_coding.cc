// Benchmark: push/pop of the discretized Gaussian at the thesis' operating point
// (δ = 2^-32, σ = 2^-14, i.e. k = 32 and s = 2^18 grid steps, on [−256, 256): 2^41 bins), one
// core, against the straightforward coder (CDF from std::erf at the bin edges, binary search over
// the grid for pop) running on the same Message.
//
// Two more lines: the coder's own form (the Gaussian on its ±16σ window with the escape flag,
// model/windowed_gaussian.h), alone and with symbols alternating between two messages (two
// independent rANS chains: if the coder were bound by the latency of one chain, this would be
// faster per symbol).
//
// usage: bench_gaussian_coding [--json] [--symbols N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ans/message.h"
#include "model/discretized.h"
#include "model/windowed_gaussian.h"

namespace {

using lbb::GridSpec;
using lbb::Message;
using Clock = std::chrono::steady_clock;

// The reference model: C(i) = i + ⌊(2^63 − n)·Φ(e_i)⌋ with Φ from std::erf, pop by bisection.
struct ReferenceGaussian {
  double mean, scale;
  GridSpec grid;
  uint64_t cdf(uint64_t i) const {
    if (i == 0) return 0;
    if (i >= grid.nbins) return lbb::ans::kTotal;
    const double edge = grid.lo + std::ldexp(static_cast<double>(i), -grid.k);
    const double phi = 0.5 * (1.0 + std::erf((edge - mean) / (scale * 1.4142135623730951)));
    const double spread = static_cast<double>(lbb::ans::kTotal - grid.nbins);
    return i + static_cast<uint64_t>(phi * spread);
  }
  void push(Message& m, uint64_t i) const {
    const uint64_t c0 = cdf(i);
    m.push(c0, cdf(i + 1) - c0);
  }
  uint64_t pop(Message& m) const {
    const uint64_t slot = m.peek();
    uint64_t lo = 0, hi = grid.nbins;  // C(lo) ≤ slot < C(hi)
    while (hi - lo > 1) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (cdf(mid) <= slot) lo = mid; else hi = mid;
    }
    const uint64_t c0 = cdf(lo);
    m.pop(c0, cdf(lo + 1) - c0);
    return lo;
  }
};

struct Timing {
  double ns_push = 1e300, ns_pop = 1e300;
  double bits_per_symbol = 0;
  bool ok = true;
};

// Symbol i goes on message i mod `messages`.
template <class PushFn, class PopFn>
Timing run(size_t n, int reps, const std::vector<uint64_t>& idx, PushFn push, PopFn pop, size_t messages = 1) {
  Timing best;
  for (int r = 0; r < reps; ++r) {
    std::vector<Message> m(messages);
    for (Message& mi : m) mi.reserve_words(n * 2 / messages + 2);
    const std::vector<Message> initial = m;
    double b0 = 0;
    for (const Message& mi : m) b0 += mi.bits();
    auto t0 = Clock::now();
    for (size_t i = 0; i < n; ++i) push(m[i % messages], i);
    auto t1 = Clock::now();
    double b1 = 0;
    for (const Message& mi : m) b1 += mi.bits();
    best.bits_per_symbol = (b1 - b0) / static_cast<double>(n);
    size_t wrong = 0;
    for (size_t i = n; i-- > 0;) wrong += pop(m[i % messages], i) != idx[i];
    auto t2 = Clock::now();
    best.ok = best.ok && wrong == 0 && m == initial;
    best.ns_push = std::min(best.ns_push, std::chrono::duration<double, std::nano>(t1 - t0).count() / n);
    best.ns_pop = std::min(best.ns_pop, std::chrono::duration<double, std::nano>(t2 - t1).count() / n);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  size_t n = size_t{1} << 20;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--json") == 0) json = true;
    else if (std::strcmp(argv[a], "--symbols") == 0 && a + 1 < argc) n = std::stoul(argv[++a]);
  }
  const GridSpec grid{-256.0, 32, uint64_t{1} << 41};
  const double sigma = std::ldexp(1.0, -14);
  // Realistic, varying means (as the flow produces them) and symbols drawn from the model.
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> mean_dist(-4.0, 4.0);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> mean(n);
  std::vector<uint64_t> idx(n);
  for (size_t i = 0; i < n; ++i) {
    mean[i] = mean_dist(rng);
    idx[i] = grid.index_of(mean[i] + sigma * noise(rng));
  }

  const Timing fast = run(
      n, 5, idx, [&](Message& m, size_t i) { lbb::push_gaussian(m, idx[i], mean[i], sigma, grid); },
      [&](Message& m, size_t i) { return lbb::pop_gaussian(m, mean[i], sigma, grid); });
  const auto push_windowed = [&](Message& m, size_t i) {
    lbb::push_windowed_gaussian(m, idx[i], mean[i], sigma, grid);
  };
  const auto pop_windowed = [&](Message& m, size_t i) { return lbb::pop_windowed_gaussian(m, mean[i], sigma, grid); };
  const Timing windowed = run(n, 5, idx, push_windowed, pop_windowed);
  const Timing windowed2 = run(n, 5, idx, push_windowed, pop_windowed, 2);
  // Secondary point: a wide prior (s = 1, i.e. 2^32 grid steps), which takes the exact-inverse
  // estimate path.
  std::vector<uint64_t> idx_prior(n);
  for (size_t i = 0; i < n; ++i) idx_prior[i] = grid.index_of(mean[i] + noise(rng));
  const Timing prior = run(
      n, 3, idx_prior,
      [&](Message& m, size_t i) { lbb::push_gaussian(m, idx_prior[i], mean[i], 1.0, grid); },
      [&](Message& m, size_t i) { return lbb::pop_gaussian(m, mean[i], 1.0, grid); });
  const size_t n_ref = std::min<size_t>(n, size_t{1} << 16);
  const Timing ref = run(
      n_ref, 3, idx,
      [&](Message& m, size_t i) { ReferenceGaussian{mean[i], sigma, grid}.push(m, idx[i]); },
      [&](Message& m, size_t i) { return ReferenceGaussian{mean[i], sigma, grid}.pop(m); });

  const bool ok = fast.ok && ref.ok && prior.ok && windowed.ok && windowed2.ok;
  const double pair = fast.ns_push + fast.ns_pop;
  const double pair_ref = ref.ns_push + ref.ns_pop;
  if (json) {
    std::printf(
        "{\"ns_push\": %.2f, \"ns_pop\": %.2f, \"ns_push_pop\": %.2f, "
        "\"ns_push_reference\": %.2f, \"ns_pop_reference\": %.2f, \"ns_push_pop_reference\": %.2f, "
        "\"speedup\": %.2f, \"symbols\": %zu, \"symbols_reference\": %zu, \"bins\": %llu, "
        "\"k\": 32, \"scale_grid_steps\": 262144, \"bits_per_symbol\": %.4f, "
        "\"ns_push_pop_wide_prior\": %.2f, \"ns_push_windowed\": %.2f, \"ns_pop_windowed\": %.2f, "
        "\"ns_push_windowed_two_messages\": %.2f, \"ns_pop_windowed_two_messages\": %.2f, "
        "\"roundtrip_ok\": %s}\n",
        fast.ns_push, fast.ns_pop, pair, ref.ns_push, ref.ns_pop, pair_ref, pair_ref / pair, n,
        n_ref, static_cast<unsigned long long>(grid.nbins), fast.bits_per_symbol,
        prior.ns_push + prior.ns_pop, windowed.ns_push, windowed.ns_pop, windowed2.ns_push, windowed2.ns_pop,
        ok ? "true" : "false");
  } else {
    std::printf("discretized Gaussian, k=32, s=2^18 steps, 2^41 bins, %zu symbols\n", n);
    std::printf("  lbb       : push %7.2f ns  pop %7.2f ns  pair %7.2f ns  (%.4f bits/symbol)\n",
                fast.ns_push, fast.ns_pop, pair, fast.bits_per_symbol);
    std::printf("  reference : push %7.2f ns  pop %7.2f ns  pair %7.2f ns  (%zu symbols)\n",
                ref.ns_push, ref.ns_pop, pair_ref, n_ref);
    std::printf("  wide prior: pair %7.2f ns  (s = 2^32 grid steps)\n", prior.ns_push + prior.ns_pop);
    std::printf("  windowed  : push %7.2f ns  pop %7.2f ns  (the coder's form: ±16σ window, escape flag)\n",
                windowed.ns_push, windowed.ns_pop);
    std::printf("  windowed, two messages alternating: push %7.2f ns  pop %7.2f ns\n", windowed2.ns_push,
                windowed2.ns_pop);
    std::printf("  speedup   : %.1fx   round trips %s\n", pair_ref / pair, ok ? "ok" : "FAILED");
  }
  return ok ? 0 : 1;
}
