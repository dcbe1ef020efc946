// libFuzzer target: Message::from_bytes on untrusted bytes, then a sequence of pops (and some
// pushes) with models whose parameters come straight from the input (any double bit pattern,
// NaN and infinities included), then the exact inverse sequence.  Checks, besides ASan/UBSan:
//   - from_bytes either throws MessageFormatError or yields a message that re-serialises to the
//     same bytes;
//   - undoing every operation in reverse restores the message bit for bit (contracts M2, M3);
//   - so does rolling back the trial the whole sequence ran in (M6);
//   - a popped symbol is inside its model's range.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ans/message.h"
#include "fuzz_input.h"
#include "model/categorical.h"
#include "model/discretized.h"
#include "model/linear_ar_gaussian.h"
#include "model/uniform.h"

namespace {

using namespace lbb;

using fuzz::Reader;

// A "reasonable" double most of the time, raw bits sometimes.
double param(Reader& in) {
  const uint8_t sel = in.byte();
  if (sel < 192) return (static_cast<double>(static_cast<int16_t>(in.u64() & 0xFFFF)) / 256.0);
  return in.f64();
}

enum class Kind : uint8_t { kGaussian, kLogistic, kUniform, kCategorical, kLinearAr };

struct Op {
  Kind kind;
  bool was_push;
  double mean, scale;
  GridSpec grid;
  uint64_t n;
  std::vector<uint64_t> freqs;
  std::vector<double> ar_mean, ar_lower;
  std::vector<uint64_t> symbols;
};

using fuzz::check;

void pop_op(Message& m, Op& op) {
  switch (op.kind) {
    case Kind::kGaussian:
    case Kind::kLogistic: {
      const uint64_t s = op.kind == Kind::kGaussian ? pop_gaussian(m, op.mean, op.scale, op.grid)
                                                    : pop_logistic(m, op.mean, op.scale, op.grid);
      check(s < op.grid.nbins);
      op.symbols = {s};
      break;
    }
    case Kind::kUniform:
      op.symbols = {pop_uniform(m, op.n)};
      check(op.symbols[0] < op.n);
      break;
    case Kind::kCategorical: {
      const CategoricalModel d(op.freqs);
      op.symbols = {pop_symbol(m, d)};
      check(op.symbols[0] < op.freqs.size());
      break;
    }
    case Kind::kLinearAr: {
      const size_t d = op.ar_mean.size();
      std::vector<double> work(d);
      op.symbols.assign(d, 0);
      pop_linear_ar_gaussian(m, op.symbols.data(), op.ar_mean.data(), op.ar_lower.data(), d,
                             op.grid, work.data());
      for (uint64_t s : op.symbols) check(s < op.grid.nbins);
      break;
    }
  }
}

void push_op(Message& m, const Op& op) {
  switch (op.kind) {
    case Kind::kGaussian: push_gaussian(m, op.symbols[0], op.mean, op.scale, op.grid); break;
    case Kind::kLogistic: push_logistic(m, op.symbols[0], op.mean, op.scale, op.grid); break;
    case Kind::kUniform: push_uniform(m, op.symbols[0], op.n); break;
    case Kind::kCategorical: push_symbol(m, CategoricalModel(op.freqs), op.symbols[0]); break;
    case Kind::kLinearAr: {
      const size_t d = op.ar_mean.size();
      std::vector<double> work(d);
      push_linear_ar_gaussian(m, op.symbols.data(), op.ar_mean.data(), op.ar_lower.data(), d,
                              op.grid, work.data());
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in{data, size};
  const size_t msg_len = std::min<size_t>(in.byte() | (size_t{in.byte()} << 8), in.n);
  Message m;
  try {
    m = Message::from_bytes(in.p, msg_len);
    const std::vector<uint8_t> again = m.to_bytes();
    check(again.size() == msg_len && std::memcmp(again.data(), in.p, msg_len) == 0);
  } catch (const MessageFormatError&) {
    // Malformed input is rejected; carry on with the initial message.
  }
  in.p += msg_len;
  in.n -= msg_len;
  const Message initial = m;
  m.begin_trial();

  std::vector<Op> ops;
  for (int count = 0; count < 48 && in.n > 0; ++count) {
    Op op{};
    const uint8_t code = in.byte();
    op.kind = static_cast<Kind>(code % 5);
    op.was_push = (code & 0x80) != 0;
    op.mean = param(in);
    op.scale = param(in);
    op.grid.lo = param(in);
    op.grid.k = static_cast<int>(in.byte() % 121) - 60;
    op.grid.nbins = (in.u64() >> (in.byte() % 64)) % (uint64_t{1} << 62) + 1;
    op.n = in.u64() % ans::kTotal + 1;
    if (op.kind == Kind::kCategorical) {
      const size_t k = in.byte() % 16 + 1;
      for (size_t i = 0; i < k; ++i) op.freqs.push_back(in.u64() >> (in.byte() % 64));
      uint64_t total = 0;
      bool overflow = false;
      for (uint64_t f : op.freqs) {
        overflow |= f > ~uint64_t{0} - total;
        total += overflow ? 0 : f;
      }
      if (overflow) op.freqs.assign(k, 1);
    }
    if (op.kind == Kind::kLinearAr) {
      const size_t d = in.byte() % 4 + 1;
      for (size_t i = 0; i < d; ++i) op.ar_mean.push_back(param(in));
      for (size_t i = 0; i < d * d; ++i) op.ar_lower.push_back(param(in));
    }
    try {
      if (op.was_push) {
        // Push a symbol chosen by the input (may be out of range: then nothing happens).
        const size_t d = op.kind == Kind::kLinearAr ? op.ar_mean.size() : 1;
        for (size_t i = 0; i < d; ++i) op.symbols.push_back(in.u64() >> (in.byte() % 64));
        const Message before = m;
        try {
          push_op(m, op);
        } catch (const CodingError&) {
          // Out-of-range symbols must be rejected before anything is pushed.  (The AR model may
          // fail part-way; restore the message in that case.)
          if (op.kind != Kind::kLinearAr) check(m == before);
          m = before;
          continue;
        }
      } else {
        pop_op(m, op);
      }
    } catch (const CodingError&) {
      check(false);  // valid models must never produce an inconsistent interval
    } catch (const std::invalid_argument&) {
      continue;
    }
    ops.push_back(std::move(op));
  }

  Message taken_back = m;
  taken_back.rollback();
  check(taken_back == initial && taken_back.max_borrowed() == initial.max_borrowed());
  m.commit();

  // Undo everything in reverse: the message must come back exactly.
  for (size_t i = ops.size(); i-- > 0;) {
    Op& op = ops[i];
    if (op.was_push) {
      const std::vector<uint64_t> pushed = op.symbols;
      pop_op(m, op);
      check(op.symbols == pushed);
    } else {
      push_op(m, op);
    }
  }
  check(m == initial);
  check(Message::from_bytes(m.to_bytes()) == m);
  return 0;
}
