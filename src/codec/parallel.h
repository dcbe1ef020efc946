// Several independent messages ("streams", as the thesis' parallel ANS streams, §3.6.3) coded
// concurrently on std::threads.
//
//  (P1) Stream k is processed start to finish by exactly one thread, and what is coded on it
//       depends only on k, so the bytes are identical for every thread count.
//  (P2) If any stream's work throws, the exception of the lowest-numbered failing stream is
//       rethrown after all threads joined.
//
// A "multi-codec" is the stream-level analogue of a codec:
//     void c.push(MessageSpan s, const T& x) const;   T c.pop(MessageSpan s) const;
// on_stream / substack / parallel build multi-codecs from codecs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "ans/message.h"
#include "codec/codec.h"

namespace lbb {

// A non-owning view of consecutive streams.
struct MessageSpan {
  Message* data = nullptr;
  size_t size = 0;
  Message& operator[](size_t k) const { return data[k]; }
  MessageSpan sub(size_t first, size_t count) const {
    if (first > size || count > size - first) throw CodingError("MessageSpan::sub out of range");
    return MessageSpan{data + first, count};
  }
};
inline MessageSpan span_of(std::vector<Message>& v) { return MessageSpan{v.data(), v.size()}; }

// Runs f(k, s[k]) for k ∈ [0, s.size) on min(threads, s.size) threads (P1, P2).
template <class F>
void for_each_stream(MessageSpan s, unsigned threads, F&& f) {
  const size_t k_count = s.size;
  size_t t_count = threads == 0 ? 1 : threads;
  if (t_count > k_count) t_count = k_count;
  if (t_count <= 1) {
    for (size_t k = 0; k < k_count; ++k) f(k, s[k]);
    return;
  }
  std::vector<std::exception_ptr> errors(k_count);
  auto work = [&](size_t t) {
    for (size_t k = t; k < k_count; k += t_count) {
      try {
        f(k, s[k]);
      } catch (...) {
        errors[k] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(t_count - 1);
  for (size_t t = 1; t < t_count; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// on_stream(c, k): the codec c applied to stream k only.
template <class Codec>
struct OnStreamCodec {
  Codec codec;
  size_t k;
  template <class T>
  void push(MessageSpan s, const T& x) const {
    codec.push(s.sub(k, 1)[0], x);
  }
  auto pop(MessageSpan s) const { return codec.pop(s.sub(k, 1)[0]); }
};
template <class Codec>
OnStreamCodec<Codec> on_stream(Codec c, size_t k) {
  return OnStreamCodec<Codec>{std::move(c), k};
}

// substack(mc, first, count): the multi-codec mc applied to streams [first, first+count).
template <class MultiCodec>
struct SubstackCodec {
  MultiCodec inner;
  size_t first, count;
  template <class T>
  void push(MessageSpan s, const T& x) const {
    inner.push(s.sub(first, count), x);
  }
  auto pop(MessageSpan s) const { return inner.pop(s.sub(first, count)); }
};
template <class MultiCodec>
SubstackCodec<MultiCodec> substack(MultiCodec mc, size_t first, size_t count) {
  return SubstackCodec<MultiCodec>{std::move(mc), first, count};
}

// parallel(make, threads): value k of a std::vector (one per stream) is coded on stream k with
// the codec make(k), all streams concurrently.
template <class MakeCodec>
struct ParallelCodec {
  MakeCodec make;
  unsigned threads;
  using T = codec_value_t<decltype(std::declval<const MakeCodec&>()(size_t{0}))>;
  void push(MessageSpan s, const std::vector<T>& xs) const {
    if (xs.size() != s.size) throw CodingError("parallel: need one value per stream");
    for_each_stream(s, threads, [&](size_t k, Message& m) { make(k).push(m, xs[k]); });
  }
  std::vector<T> pop(MessageSpan s) const {
    std::vector<T> xs(s.size);
    for_each_stream(s, threads, [&](size_t k, Message& m) { xs[k] = make(k).pop(m); });
    return xs;
  }
};
template <class MakeCodec>
ParallelCodec<MakeCodec> parallel(MakeCodec make, unsigned threads) {
  return ParallelCodec<MakeCodec>{std::move(make), threads};
}

// Serialised form of K streams: tag 0xA2, LEB128 K, then per stream LEB128 length + the
// Message::to_bytes bytes (each with its own CRC).  from_bytes validates everything and throws
// MessageFormatError on malformed input.
std::vector<uint8_t> streams_to_bytes(const std::vector<Message>& streams);
std::vector<Message> streams_from_bytes(const uint8_t* data, size_t size);
double streams_bits(const std::vector<Message>& streams);

}  // namespace lbb
