// Benchmark: the carried direct coders of a photograph's tiles, one core, side by side in one
// run: ns per sample to record (the encoder: intervals and exact bits), to learn (a tile the
// other coder decoded) and to pop, for the adaptive coder (model/adaptive_image_model.h) and
// the predictive coder (model/predictive_image_model.h), with the bits per sample each writes.
// Each figure is the fastest of --repeat runs over the whole image as one tile.
//
// usage: bench_direct_coders [IMAGE=tests/data/photo_val/rgb] [--repeat R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "ans/message.h"
#include "io/images.h"
#include "model/adaptive_image_model.h"
#include "model/predictive_image_model.h"

namespace {

using Clock = std::chrono::steady_clock;

// The fastest of `repeat` runs of f, in seconds.
double fastest(int repeat, const std::function<void()>& f) {
  double best = 1e30;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

template <class State, class Record, class Learn, class Pop>
void bench(const char* name, const lbb::ImageSet& img, int repeat, Record record, Learn learn, Pop pop) {
  const uint32_t c = img.c, h = img.h, w = img.w;
  const size_t n = img.image_size();
  const lbb::TileBorder none;
  std::vector<lbb::Interval> coded;
  double bits = 0;
  const double t_record = fastest(repeat, [&] {
    State s;
    coded.clear();
    bits = record(s, img.image(0), c, h, w, none, &coded);
  });
  const double t_learn = fastest(repeat, [&] {
    State s;
    learn(s, img.image(0), c, h, w, none);
  });
  lbb::Message m;
  lbb::push_intervals_reversed(m, coded.data(), coded.size());
  const std::vector<uint8_t> bytes = m.to_bytes();
  std::vector<uint8_t> out(n);
  const double t_pop = fastest(repeat, [&] {
    lbb::Message mm = lbb::Message::from_bytes(bytes);
    State s;
    pop(mm, s, out.data(), c, h, w, none);
  });
  if (std::memcmp(out.data(), img.image(0), n) != 0) {
    std::fprintf(stderr, "%s: decoded samples differ\n", name);
    std::exit(1);
  }
  const double ns = 1e9 / static_cast<double>(n);
  std::printf("%-11s %8.4f %10.1f %10.1f %10.1f\n", name, bits / n, t_record * ns, t_learn * ns, t_pop * ns);
}

}  // namespace

int main(int argc, char** argv) {
  std::string input = "tests/data/photo_val/rgb";
  int repeat = 5;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--repeat") == 0 && a + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++a]));
    } else {
      input = argv[a];
    }
  }
  const lbb::ImageSet img = lbb::load_image_input(input);
  std::printf("%s: %ux%ux%u as one tile, fastest of %d runs, 1 core\n", input.c_str(), img.c, img.h, img.w, repeat);
  std::printf("%-11s %8s %10s %10s %10s\n", "coder", "bits/dim", "record ns", "learn ns", "pop ns");
  bench<lbb::AdaptiveState>(
      "adaptive", img, repeat, [](auto&&... a) { return lbb::record_adaptive_tile(a...); },
      [](auto&&... a) { lbb::learn_adaptive_tile(a...); }, [](auto&&... a) { lbb::pop_adaptive_tile(a...); });
  bench<lbb::PredictiveState>(
      "predictive", img, repeat, [](auto&&... a) { return lbb::record_predictive_tile(a...); },
      [](auto&&... a) { lbb::learn_predictive_tile(a...); }, [](auto&&... a) { lbb::pop_predictive_tile(a...); });
}
