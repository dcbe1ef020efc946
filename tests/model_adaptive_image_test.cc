// The adaptive direct tile coder: exact round trips, exact codelengths, sensible rates and
// graceful failure on corrupt input.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ans/message.h"
#include "model/adaptive_image_model.h"

namespace lbb {
namespace {

struct Tile {
  uint32_t c, h, w;
  std::vector<uint8_t> v;
};

uint64_t next(uint64_t& z) {
  z = z * 6364136223846793005ull + 1442695040888963407ull;
  return z >> 33;
}

Tile make(uint32_t c, uint32_t h, uint32_t w, const std::function<uint8_t(uint32_t, uint32_t, uint32_t)>& f) {
  Tile t{c, h, w, std::vector<uint8_t>(size_t{c} * h * w)};
  for (uint32_t ch = 0; ch < c; ++ch)
    for (uint32_t i = 0; i < h; ++i)
      for (uint32_t j = 0; j < w; ++j) t.v[(size_t{ch} * h + i) * w + j] = f(ch, i, j);
  return t;
}

Tile random_tile(uint32_t c, uint32_t h, uint32_t w, uint64_t seed) {
  uint64_t z = seed;
  return make(c, h, w, [&](uint32_t, uint32_t, uint32_t) { return static_cast<uint8_t>(next(z)); });
}

// A smooth-ish "photo": gradients plus small noise, correlated across planes.
Tile smooth_tile(uint32_t c, uint32_t h, uint32_t w, uint64_t seed) {
  uint64_t z = seed;
  return make(c, h, w, [&](uint32_t ch, uint32_t i, uint32_t j) {
    return static_cast<uint8_t>(40 + i + 2 * j + 10 * ch + next(z) % 5);
  });
}

std::vector<Tile> all_kinds(uint32_t c, uint32_t h, uint32_t w) {
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

void expect_round_trip(const Tile& t, const std::string& what) {
  Message m;
  const Message initial = m;
  const double before = m.bits();
  push_adaptive_tile(m, t.v.data(), t.c, t.h, t.w);
  const double coded = m.bits() - before;
  const double expected = adaptive_tile_bits(t.v.data(), t.c, t.h, t.w);
  EXPECT_NEAR(coded, expected, 1e-6 * expected + 1e-6) << what;
  EXPECT_GT(expected, 0) << what;
  std::vector<uint8_t> out(t.v.size(), 0x5A);
  pop_adaptive_tile(m, out.data(), t.c, t.h, t.w);
  EXPECT_EQ(out, t.v) << what;
  EXPECT_TRUE(m == initial) << what;
}

TEST(AdaptiveImageModel, RoundTripsAllShapesAndKinds) {
  const uint32_t shapes[][2] = {{1, 1}, {1, 17}, {23, 1}, {29, 31}, {2, 2}, {8, 64}};
  for (uint32_t c = 1; c <= 4; ++c)
    for (const auto& s : shapes) {
      const std::vector<Tile> ts = all_kinds(c, s[0], s[1]);
      for (size_t k = 0; k < ts.size(); ++k)
        expect_round_trip(ts[k], "c=" + std::to_string(c) + " h=" + std::to_string(s[0]) +
                                     " w=" + std::to_string(s[1]) + " kind=" + std::to_string(k));
    }
}

TEST(AdaptiveImageModel, EveryValueAtEveryPosition) {
  // Extreme residuals (±255 modulo 256, every prediction) in one tile.
  Tile t = make(2, 16, 32, [](uint32_t ch, uint32_t i, uint32_t j) {
    return static_cast<uint8_t>(((i * 32 + j) * 97 + ch * 128) ^ ((i & 1) ? 0xFF : 0));
  });
  expect_round_trip(t, "all values");
}

TEST(AdaptiveImageModel, LargeTileRoundTrip) {
  // Long enough for the context totals to be halved many times.
  expect_round_trip(random_tile(1, 200, 300, 5), "random 200x300");
  expect_round_trip(smooth_tile(3, 150, 170, 6), "smooth 3x150x170");
  expect_round_trip(make(1, 256, 256, [](uint32_t, uint32_t, uint32_t) { return uint8_t{3}; }), "constant 256");
}

TEST(AdaptiveImageModel, SequenceOfTilesPoppedInReverse) {
  std::vector<Tile> ts;
  for (uint32_t k = 0; k < 12; ++k) {
    const uint32_t c = 1 + k % 4, h = 1 + (k * 7) % 29, w = 1 + (k * 11) % 31;
    ts.push_back(k % 3 == 0 ? random_tile(c, h, w, k) : smooth_tile(c, h, w, k));
  }
  Message m;
  const Message initial = m;
  double expected = 0;
  const double before = m.bits();
  for (const Tile& t : ts) {
    push_adaptive_tile(m, t.v.data(), t.c, t.h, t.w);
    expected += adaptive_tile_bits(t.v.data(), t.c, t.h, t.w);
  }
  EXPECT_NEAR(m.bits() - before, expected, 1e-6 * expected);
  // Survives flattening.
  m = Message::from_bytes(m.to_bytes());
  for (size_t k = ts.size(); k-- > 0;) {
    std::vector<uint8_t> out(ts[k].v.size());
    pop_adaptive_tile(m, out.data(), ts[k].c, ts[k].h, ts[k].w);
    ASSERT_EQ(out, ts[k].v) << "tile " << k;
  }
  EXPECT_TRUE(m == initial);
}

TEST(AdaptiveImageModel, DependsOnTheSamples) {
  // Different tiles give different messages (the coder is not ignoring its input).
  Tile a = smooth_tile(1, 9, 9, 1), b = a;
  b.v[40] ^= 1;
  Message ma, mb;
  push_adaptive_tile(ma, a.v.data(), 1, 9, 9);
  push_adaptive_tile(mb, b.v.data(), 1, 9, 9);
  EXPECT_TRUE(ma != mb);
}

TEST(AdaptiveImageModel, Rates) {
  const Tile c28 = make(1, 28, 28, [](uint32_t, uint32_t, uint32_t) { return uint8_t{200}; });
  EXPECT_LT(adaptive_tile_bits(c28.v.data(), 1, 28, 28), 64);
  const Tile c256 = make(1, 256, 256, [](uint32_t, uint32_t, uint32_t) { return uint8_t{0}; });
  EXPECT_LT(adaptive_tile_bits(c256.v.data(), 1, 256, 256), 256);
  const Tile rgb = make(3, 64, 64, [](uint32_t ch, uint32_t, uint32_t) { return static_cast<uint8_t>(10 + 90 * ch); });
  EXPECT_LT(adaptive_tile_bits(rgb.v.data(), 3, 64, 64), 3 * 64);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const Tile n = random_tile(1, 28, 28, seed);
    const double bps = adaptive_tile_bits(n.v.data(), 1, 28, 28) / 784;
    EXPECT_LT(bps, 8.2) << "seed " << seed;
    EXPECT_GT(bps, 7.5) << "seed " << seed;  // uniform noise cannot be compressed
  }
  const Tile n3 = random_tile(3, 128, 128, 77);
  EXPECT_LT(adaptive_tile_bits(n3.v.data(), 3, 128, 128) / n3.v.size(), 8.06);
  // Structured patterns are learned (high-contrast stripes sit in the widest context, whose
  // heavy near-uniform prior takes a few thousand samples to unlearn).
  const Tile stripes = make(1, 128, 128, [](uint32_t, uint32_t i, uint32_t) { return static_cast<uint8_t>(i % 2 ? 255 : 0); });
  EXPECT_LT(adaptive_tile_bits(stripes.v.data(), 1, 128, 128) / (128 * 128), 0.5);
  const Tile smooth = smooth_tile(3, 64, 64, 3);
  EXPECT_LT(adaptive_tile_bits(smooth.v.data(), 3, 64, 64) / smooth.v.size(), 3.6);  // the noise alone is log2(5) = 2.32
}

TEST(AdaptiveImageModel, CorruptMessagesNeverCrash) {
  // Random messages, and a valid message decoded with the wrong shape: either CodingError
  // or some samples, never anything else (run under the sanitizers by the fuzz build).
  const Tile t = smooth_tile(3, 20, 24, 11);
  int threw = 0, decoded = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    Message r;
    uint64_t z = seed;
    for (int k = 0; k < 64; ++k) r.push(next(z) << 20, uint64_t{1} << 40);
    Message v;
    push_adaptive_tile(v, t.v.data(), t.c, t.h, t.w);
    const uint32_t c = 1 + seed % 4, h = 1 + seed % 37, w = 1 + (seed * 7) % 41;
    std::vector<uint8_t> out(size_t{c} * h * w);
    for (Message* m : {&r, &v}) {
      try {
        pop_adaptive_tile(*m, out.data(), c, h, w);
        ++decoded;
      } catch (const CodingError&) {
        ++threw;
      }
    }
  }
  EXPECT_EQ(threw + decoded, 200);
  EXPECT_GT(decoded, 0);
}

TEST(AdaptiveImageModel, SlotBeyondTheContextTotalThrows) {
  // The top slot 2^63 − 1 lies beyond T·⌊2^63/T⌋ for the first context (T is not a power
  // of two), so no symbol owns it: CodingError, message unchanged.
  Message m;
  m.push(ans::kTotal - 1, 1);
  const Message before = m;
  uint8_t out[4];
  EXPECT_THROW(pop_adaptive_tile(m, out, 1, 2, 2), CodingError);
  EXPECT_TRUE(m == before);
}

TEST(AdaptiveImageModel, EmptyTilesCodeNothing) {
  Message m;
  const Message initial = m;
  uint8_t dummy = 1;
  push_adaptive_tile(m, &dummy, 0, 5, 5);
  push_adaptive_tile(m, &dummy, 1, 0, 5);
  EXPECT_TRUE(m == initial);
  EXPECT_EQ(adaptive_tile_bits(&dummy, 3, 5, 0), 0.0);
  pop_adaptive_tile(m, &dummy, 2, 0, 0);
  EXPECT_TRUE(m == initial);
}

}  // namespace
}  // namespace lbb
