// Codecs in the spirit of craystack: a codec for values of type T is any object c with
//     void c.push(Message& m, const T& x) const;
//     T    c.pop(Message& m) const;
// obeying the stack contract
//  (C1) c.pop(m) after c.push(m, x) returns x and leaves m exactly as before the push;
//  (C2) c.push(m, c.pop(m)) leaves m exactly as before the pop (with borrowed aux words
//       returned, Message contract M3).
// The combinators below are small templates over callables: everything inlines, so building a
// codec out of them costs nothing on the hot path and allocates nothing (except `repeat`,
// whose pop returns a std::vector).
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ans/message.h"

namespace lbb {

// A codec from two callables: push(Message&, const T&) and pop(Message&) -> T.
template <class T, class PushFn, class PopFn>
struct FnCodec {
  PushFn push_fn;
  PopFn pop_fn;
  void push(Message& m, const T& x) const { push_fn(m, x); }
  T pop(Message& m) const { return pop_fn(m); }
};
template <class T, class PushFn, class PopFn>
FnCodec<T, PushFn, PopFn> make_codec(PushFn push, PopFn pop) {
  return FnCodec<T, PushFn, PopFn>{std::move(push), std::move(pop)};
}

// The value type a codec pops.
template <class Codec>
using codec_value_t = std::decay_t<decltype(std::declval<const Codec&>().pop(std::declval<Message&>()))>;

// repeat(c, n): n independent values with the same codec, as a std::vector.  Pushes x[n−1] first
// so that pop returns x[0] first.
template <class Codec>
struct RepeatCodec {
  Codec codec;
  size_t n;
  using T = codec_value_t<Codec>;
  void push(Message& m, const std::vector<T>& xs) const {
    if (xs.size() != n) throw CodingError("repeat: wrong number of values");
    for (size_t i = n; i-- > 0;) codec.push(m, xs[i]);
  }
  std::vector<T> pop(Message& m) const {
    std::vector<T> xs;
    xs.reserve(n);
    for (size_t i = 0; i < n; ++i) xs.push_back(codec.pop(m));
    return xs;
  }
};
template <class Codec>
RepeatCodec<Codec> repeat(Codec c, size_t n) {
  return RepeatCodec<Codec>{std::move(c), n};
}

// indexed(n, make): element i of an array is coded with the codec make(i) (e.g. a Gaussian with
// per-coordinate mean and scale).  Works in place on a caller's buffer: no allocation.
//   push_all(m, const T* x)  pushes x[n−1], …, x[0];   pop_all(m, T* x)  pops x[0], …, x[n−1].
template <class MakeCodec>
struct IndexedCodec {
  MakeCodec make;
  size_t n;
  template <class T>
  void push_all(Message& m, const T* xs) const {
    for (size_t i = n; i-- > 0;) make(i).push(m, xs[i]);
  }
  template <class T>
  void pop_all(Message& m, T* xs) const {
    for (size_t i = 0; i < n; ++i) xs[i] = make(i).pop(m);
  }
  template <class T>
  void push(Message& m, const std::vector<T>& xs) const {
    if (xs.size() != n) throw CodingError("indexed: wrong number of values");
    push_all(m, xs.data());
  }
  auto pop(Message& m) const {
    using T = codec_value_t<decltype(make(size_t{0}))>;
    std::vector<T> xs(n);
    pop_all(m, xs.data());
    return xs;
  }
};
template <class MakeCodec>
IndexedCodec<MakeCodec> indexed(size_t n, MakeCodec make) {
  return IndexedCodec<MakeCodec>{std::move(make), n};
}

// serial(c0, c1, …): a tuple (x0, x1, …) coded with c0, c1, … (pushes the last first).
template <class... Codecs>
struct SerialCodec {
  std::tuple<Codecs...> codecs;
  using T = std::tuple<codec_value_t<Codecs>...>;
  void push(Message& m, const T& xs) const { push_from<sizeof...(Codecs)>(m, xs); }
  T pop(Message& m) const {
    T xs;
    pop_into<0>(m, xs);
    return xs;
  }

 private:
  template <size_t I>
  void push_from(Message& m, const T& xs) const {
    if constexpr (I > 0) {
      std::get<I - 1>(codecs).push(m, std::get<I - 1>(xs));
      push_from<I - 1>(m, xs);
    }
  }
  template <size_t I>
  void pop_into(Message& m, T& xs) const {
    if constexpr (I < sizeof...(Codecs)) {
      std::get<I>(xs) = std::get<I>(codecs).pop(m);
      pop_into<I + 1>(m, xs);
    }
  }
};
template <class... Codecs>
SerialCodec<Codecs...> serial(Codecs... cs) {
  return SerialCodec<Codecs...>{std::tuple<Codecs...>(std::move(cs)...)};
}

}  // namespace lbb
