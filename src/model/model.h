// Entropy-model interface shared by all models in src/model.
//
// A model over n bins (n = size() ≥ 1) is an integer CDF C with C(0) = 0, C(n) = 2^63 and
// C(i+1) − C(i) ≥ 1 for every bin (DESIGN.md §4: every bin in range has nonzero mass).  It offers
//   Interval interval(uint64_t i) const;  // {C(i), C(i+1) − C(i)}, i < n (throws CodingError else)
//   Lookup   find(uint64_t slot) const;   // the unique i with C(i) ≤ slot < C(i+1), slot < 2^63
// and push_symbol / pop_symbol below code one symbol with it on a Message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ans/message.h"

namespace lbb {

struct Interval {
  uint64_t start;  // C(i)
  uint64_t freq;   // C(i+1) − C(i) ≥ 1
};

struct Lookup {
  uint64_t index;  // i
  uint64_t start;  // C(i) ≤ slot
  uint64_t freq;   // slot < C(i) + freq
};

[[noreturn]] void throw_index_out_of_range(const char* model, uint64_t index, uint64_t size);

template <class Model>
inline void push_symbol(Message& m, const Model& model, uint64_t index) {
  const Interval iv = model.interval(index);
  m.push(iv.start, iv.freq);
}

template <class Model>
inline uint64_t pop_symbol(Message& m, const Model& model) {
  const Lookup l = model.find(m.peek());
  m.pop(l.start, l.freq);
  return l.index;
}

// Pushes intervals[0..count) last first, so that they pop in order (a coder that records a
// tile's intervals forward, as its decoder will pop them, pushes them so).
inline void push_intervals_reversed(Message& m, const Interval* intervals, size_t count) {
  for (size_t k = count; k-- > 0;) m.push(intervals[k].start, intervals[k].freq);
}

// −log2 of the model's own probability of bin i (for codelength accounting and tests).
template <class Model>
inline double model_bits(const Model& model, uint64_t index) {
  const Interval iv = model.interval(index);
  return 63.0 - __builtin_log2(static_cast<double>(iv.freq));
}

}  // namespace lbb
