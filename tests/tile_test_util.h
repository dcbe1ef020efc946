// Test tiles and tiled images for the direct tile coders (model_*_image_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ans/message.h"
#include "model/model.h"
#include "model/tile_border.h"

namespace lbb {
namespace test {

struct Tile {
  uint32_t c, h, w;
  std::vector<uint8_t> v;
};

inline uint64_t next(uint64_t& z) {
  z = z * 6364136223846793005ull + 1442695040888963407ull;
  return z >> 33;
}

inline Tile make(uint32_t c, uint32_t h, uint32_t w, const std::function<uint8_t(uint32_t, uint32_t, uint32_t)>& f) {
  Tile t{c, h, w, std::vector<uint8_t>(size_t{c} * h * w)};
  for (uint32_t ch = 0; ch < c; ++ch)
    for (uint32_t i = 0; i < h; ++i)
      for (uint32_t j = 0; j < w; ++j) t.v[(size_t{ch} * h + i) * w + j] = f(ch, i, j);
  return t;
}

inline Tile random_tile(uint32_t c, uint32_t h, uint32_t w, uint64_t seed) {
  uint64_t z = seed;
  return make(c, h, w, [&](uint32_t, uint32_t, uint32_t) { return static_cast<uint8_t>(next(z)); });
}

// A smooth-ish "photo": gradients plus small noise, correlated across planes.
inline Tile smooth_tile(uint32_t c, uint32_t h, uint32_t w, uint64_t seed) {
  uint64_t z = seed;
  return make(c, h, w, [&](uint32_t ch, uint32_t i, uint32_t j) {
    return static_cast<uint8_t>(40 + i + 2 * j + 10 * ch + next(z) % 5);
  });
}

inline std::vector<Tile> all_kinds(uint32_t c, uint32_t h, uint32_t w) {
  std::vector<Tile> ts;
  ts.push_back(random_tile(c, h, w, 7 + c * 1000 + h * 31 + w));
  ts.push_back(make(c, h, w, [](uint32_t ch, uint32_t, uint32_t) { return static_cast<uint8_t>(200 + ch); }));
  ts.push_back(make(c, h, w, [](uint32_t, uint32_t i, uint32_t) { return static_cast<uint8_t>(i % 2 ? 255 : 0); }));
  ts.push_back(make(c, h, w, [](uint32_t, uint32_t, uint32_t j) { return static_cast<uint8_t>(j % 3 ? 17 : 230); }));
  ts.push_back(make(c, h, w, [](uint32_t, uint32_t i, uint32_t j) { return static_cast<uint8_t>((i + j) % 2 ? 255 : 0); }));
  ts.push_back(make(c, h, w, [](uint32_t ch, uint32_t i, uint32_t j) { return static_cast<uint8_t>(i * 7 + j * 3 + ch * 50); }));
  ts.push_back(make(c, h, w, [](uint32_t, uint32_t i, uint32_t j) { return static_cast<uint8_t>(255 - i - j); }));
  ts.push_back(smooth_tile(c, h, w, 99 + c));
  return ts;
}

// Calls f(tile, description) for every kind of all_kinds in 1 to 4 planes and shapes from 1×1
// to 8×64, thin and odd ones included.
inline void for_each_test_tile(const std::function<void(const Tile&, const std::string&)>& f) {
  const uint32_t shapes[][2] = {{1, 1}, {1, 17}, {23, 1}, {29, 31}, {2, 2}, {8, 64}};
  for (uint32_t c = 1; c <= 4; ++c)
    for (const auto& s : shapes) {
      const std::vector<Tile> ts = all_kinds(c, s[0], s[1]);
      for (size_t k = 0; k < ts.size(); ++k)
        f(ts[k], "c=" + std::to_string(c) + " h=" + std::to_string(s[0]) + " w=" + std::to_string(s[1]) +
                     " kind=" + std::to_string(k));
    }
}

// An image of c planes, cut into t×t tiles (smaller at the right and bottom), coded as the
// stream coder does in the frame it codes in: tiles in raster order (the decoding order), one
// state carried across them, each tile's first row and column predicted from its decoded
// neighbours above and left.
struct TiledImage {
  uint32_t c, h, w, t;
  std::vector<uint8_t> v;  // planar
  uint32_t rows() const { return (h + t - 1) / t; }
  uint32_t cols() const { return (w + t - 1) / t; }
  uint32_t th(uint32_t r) const { return std::min(t, h - r * t); }
  uint32_t tw(uint32_t k) const { return std::min(t, w - k * t); }
  std::vector<uint8_t> tile(uint32_t r, uint32_t k) const {
    std::vector<uint8_t> out;
    for (uint32_t p = 0; p < c; ++p)
      for (uint32_t i = 0; i < th(r); ++i)
        for (uint32_t j = 0; j < tw(k); ++j) out.push_back(v[(size_t{p} * h + r * t + i) * w + k * t + j]);
    return out;
  }
  void put(uint32_t r, uint32_t k, const std::vector<uint8_t>& in) {
    size_t n = 0;
    for (uint32_t p = 0; p < c; ++p)
      for (uint32_t i = 0; i < th(r); ++i)
        for (uint32_t j = 0; j < tw(k); ++j) v[(size_t{p} * h + r * t + i) * w + k * t + j] = in[n++];
  }
  // The neighbours of tile (r, k) in `img` (decoded so far: the tiles before it in raster order).
  TileBorder border(uint32_t r, uint32_t k, const std::vector<uint8_t>& img) const {
    TileBorder b;
    const uint32_t y0 = r * t, x0 = k * t, bh = th(r), bw = tw(k);
    b.has_above = r > 0;
    b.has_left = k > 0;
    b.has_corner = r > 0 && k > 0;
    b.has_above_right = r > 0 && x0 + bw < w;
    b.above.assign(size_t{c} * (bw + 2), 0);
    b.left.assign(size_t{c} * bh, 0);
    const auto at = [&](uint32_t p, uint32_t y, uint32_t x) { return img[(size_t{p} * h + y) * w + x]; };
    for (uint32_t p = 0; p < c; ++p) {
      if (b.has_above) {
        for (uint32_t j = 0; j < bw; ++j) b.above[p * (bw + 2) + 1 + j] = at(p, y0 - 1, x0 + j);
        if (b.has_corner) b.above[p * (bw + 2)] = at(p, y0 - 1, x0 - 1);
        if (b.has_above_right) b.above[p * (bw + 2) + bw + 1] = at(p, y0 - 1, x0 + bw);
      }
      if (b.has_left)
        for (uint32_t i = 0; i < bh; ++i) b.left[size_t{p} * bh + i] = at(p, y0 + i, x0 - 1);
    }
    return b;
  }
};

inline TiledImage smooth_image(uint32_t c, uint32_t h, uint32_t w, uint32_t t, uint64_t seed) {
  const Tile s = smooth_tile(c, h, w, seed);
  return TiledImage{c, h, w, t, s.v};
}

// Pushes the image's tiles as the stream coder does (recorded in raster order with one carried
// `State` and each tile's decoded neighbours as its border, pushed last tile first); returns
// the bits `record(state, tile, c, h, w, border, intervals)` reported.
template <class State, class Record>
double push_carried(Message& m, const TiledImage& im, Record record) {
  State state;
  std::vector<std::vector<Interval>> coded;
  double bits = 0;
  for (uint32_t r = 0; r < im.rows(); ++r)
    for (uint32_t k = 0; k < im.cols(); ++k) {
      coded.emplace_back();
      bits += record(state, im.tile(r, k).data(), im.c, im.th(r), im.tw(k), im.border(r, k, im.v), &coded.back());
    }
  for (size_t k = coded.size(); k-- > 0;) push_intervals_reversed(m, coded[k].data(), coded[k].size());
  return bits;
}

// Pops an image of `shape`'s size tile by tile as the stream decoder does, with
// `pop(message, state, tile, c, h, w, border)`.
template <class State, class Pop>
TiledImage pop_carried(Message& m, TiledImage shape, Pop pop) {
  State state;
  std::fill(shape.v.begin(), shape.v.end(), 0x5A);
  for (uint32_t r = 0; r < shape.rows(); ++r)
    for (uint32_t k = 0; k < shape.cols(); ++k) {
      std::vector<uint8_t> tile(size_t{shape.c} * shape.th(r) * shape.tw(k));
      pop(m, state, tile.data(), shape.c, shape.th(r), shape.tw(k), shape.border(r, k, shape.v));
      shape.put(r, k, tile);
    }
  return shape;
}

// The checks every carried coder must pass, given its State and its functions
// record(state, tile, c, h, w, border, intervals) -> bits, learn(state, tile, c, h, w, border)
// and pop(message, state, tile, c, h, w, border).

// Tiled images of 1 to 4 planes (random samples in 4), odd sizes and tiles included, pushed and
// popped as the stream coder does: exact bits, the same samples, the message back as it was.
template <class State, class Record, class Pop>
void expect_carried_round_trips(Record record, Pop pop) {
  for (uint32_t c : {1u, 2u, 3u, 4u})
    for (const auto& s : std::vector<std::array<uint32_t, 3>>{{29, 31, 8}, {64, 64, 32}, {1, 40, 7}, {40, 1, 7}, {5, 5, 5}}) {
      TiledImage im = smooth_image(c, s[0], s[1], s[2], c * 100 + s[2]);
      if (c == 4) im.v = random_tile(c, s[0], s[1], 3).v;
      Message m;
      const Message initial = m;
      const double bits = push_carried<State>(m, im, record);
      EXPECT_NEAR(m.bits() - initial.bits(), bits, 1e-6 * bits) << c << " " << s[0] << "x" << s[1];
      m = Message::from_bytes(m.to_bytes());
      EXPECT_EQ(pop_carried<State>(m, im, pop).v, im.v) << c << " " << s[0] << "x" << s[1];
      EXPECT_TRUE(m == initial);
    }
}

// A tile another coder decoded is learned without coding: the next tile then codes to the same
// intervals as after recording the first (and not to those of a fresh state).
template <class State, class Record, class Learn>
void expect_learning_leaves_the_state_recording_leaves(Record record, Learn learn) {
  const TiledImage im = smooth_image(3, 40, 40, 20, 21);
  const TileBorder none;
  const TileBorder border = im.border(0, 1, im.v);
  State recorded, learned;
  record(recorded, im.tile(0, 0).data(), 3, 20, 20, none, nullptr);
  learn(learned, im.tile(0, 0).data(), 3, 20, 20, none);
  std::vector<Interval> a, b;
  const double bits_a = record(recorded, im.tile(0, 1).data(), 3, 20, 20, border, &a);
  const double bits_b = record(learned, im.tile(0, 1).data(), 3, 20, 20, border, &b);
  EXPECT_EQ(bits_a, bits_b);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) ASSERT_TRUE(a[k].start == b[k].start && a[k].freq == b[k].freq) << k;
  State fresh;
  std::vector<Interval> c;
  record(fresh, im.tile(0, 1).data(), 3, 20, 20, border, &c);
  bool differ = false;
  for (size_t k = 0; k < c.size(); ++k) differ |= c[k].start != a[k].start || c[k].freq != a[k].freq;
  EXPECT_TRUE(differ) << "learning changed nothing";
}

}  // namespace test
}  // namespace lbb
