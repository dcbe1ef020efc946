// Images of any size and layout through the tiled coding path (src/coding/compression.h), with
// small models of deterministic synthetic weights: exact round trips for odd sizes and every
// layout, thread-count invariance, the per-tile choice of coder, names and formats kept; and
// which tiles get a flow trial (FlowTrialGate, with the shipped Fashion-MNIST model).
#include <gtest/gtest.h>

#include <cmath>

#include "coding/compression.h"
#include "coding/flow_trial_gate.h"
#include "common/errors.h"
#include "model/adaptive_image_model.h"

namespace lbb {
namespace {

CodingModel coding_model(const std::string& config_text) {
  FlowConfig cfg = parse_flow_config(config_text, "test config");
  TensorArchive archive = det_synthetic_model_archive(cfg, 3, 0.05);
  ImageSet train;
  train.n = 20, train.c = static_cast<uint32_t>(cfg.channels), train.h = static_cast<uint32_t>(cfg.height),
  train.w = static_cast<uint32_t>(cfg.width);
  for (size_t i = 0; i < size_t{train.n} * cfg.dims(); ++i) train.pixels.push_back(static_cast<uint8_t>(i * 7 % 251));
  train.names.assign(train.n, "train");
  add_direct_model(&archive, train);
  const std::string path = ::testing::TempDir() + "/tiles_model_" + std::to_string(cfg.channels) + ".lbbm";
  save_archive(path, archive);
  return load_coding_model(path);
}

const char* kGrey4x4 =
    "image = 1x4x4\nbase_squeezes = 1\ndequant_couplings = 2\ndequant_filters = 8\n"
    "dequant_context_blocks = 1\nfilters = 8\ncomponents = 3\nheads = 2\nactnorm = channel\n"
    "flow = checker channel split squeeze channel\n";
const char* kRgb4x4 =
    "image = 3x4x4\nbase_squeezes = 0\ndequant_couplings = 2\ndequant_filters = 8\nfilters = 8\n"
    "components = 2\nheads = 2\nflow = checker channel checker\n";

// A smooth image with noise, in `channels` planes (alpha last: mostly opaque with a hole).
ImageItem smooth_item(const std::string& name, uint32_t channels, uint32_t h, uint32_t w, uint32_t seed,
                      ImageFormat format = ImageFormat::kPng) {
  ImageItem item;
  item.name = name, item.format = format, item.channels = channels, item.h = h, item.w = w;
  uint32_t s = seed;
  for (uint32_t c = 0; c < channels; ++c)
    for (uint32_t y = 0; y < h; ++y)
      for (uint32_t x = 0; x < w; ++x) {
        s = s * 1664525u + 1013904223u;
        const bool alpha = (channels == 2 || channels == 4) && c == channels - 1;
        item.pixels.push_back(alpha ? (x > w / 2 && y > h / 2 ? 0 : 255)
                                    : static_cast<uint8_t>((x * 3 + y * 5 + c * 40 + (s >> 29)) & 0xff));
      }
  return item;
}

void expect_same(const std::vector<ImageItem>& a, const std::vector<ImageItem>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].format, b[i].format);
    EXPECT_EQ(a[i].channels, b[i].channels);
    EXPECT_EQ(a[i].h, b[i].h);
    EXPECT_EQ(a[i].w, b[i].w);
    EXPECT_EQ(a[i].count, b[i].count);
    EXPECT_TRUE(a[i].pixels == b[i].pixels) << a[i].name;
  }
}

std::vector<ImageItem> round_trip(const CodingModel& cm, const std::vector<ImageItem>& items, CompressOptions opt,
                                  CompressReport* r, int threads = 2) {
  const Container c = compress_items(cm, items, opt, r);
  const std::vector<uint8_t> bytes = serialize_container(c);
  if (r) {
    EXPECT_EQ(bytes.size(), r->total_bytes);
  }
  return decompress_items(cm, parse_container(bytes, "t.lbb"), threads, "t.lbb");
}

TEST(Tiles, OddSizesAndEveryLayoutRoundTrip) {
  for (const char* config : {kGrey4x4, kRgb4x4}) {
    const CodingModel cm = coding_model(config);
    std::vector<ImageItem> items;
    const uint32_t sizes[][2] = {{1, 1}, {1, 37}, {37, 1}, {29, 31}, {255, 257}};
    uint32_t seed = 1;
    for (const auto& hw : sizes)
      for (uint32_t channels = 1; channels <= 4; ++channels)
        items.push_back(smooth_item("d/" + std::to_string(hw[0]) + "x" + std::to_string(hw[1]) + "_" +
                                        std::to_string(channels) + ".png",
                                    channels, hw[0], hw[1], seed++));
    for (bool prefer_flow : {false, true}) {
      CompressOptions opt;
      opt.prefer_flow = prefer_flow;
      CompressReport r;
      expect_same(round_trip(cm, items, opt, &r), items);
      EXPECT_EQ(r.images, static_cast<int64_t>(items.size()));
      if (prefer_flow) {
        EXPECT_GT(r.tiles_by_mode[static_cast<int>(TileMode::kFlow)], 1000);
      }
      EXPECT_GT(r.edge_tiles, 0) << "29x31 and 255x257 leave edges on 4x4 tiles";
    }
  }
}

TEST(Tiles, BytesDoNotDependOnThreads) {
  const CodingModel cm = coding_model(kGrey4x4);
  const std::vector<ImageItem> items = {smooth_item("big.ppm", 3, 120, 130, 9, ImageFormat::kPnm),
                                        smooth_item("a/b/alpha.png", 4, 40, 41, 10)};
  CompressOptions opt;
  opt.prefer_flow = true;
  opt.streams = 5;
  opt.threads = 1;
  const Container c1 = compress_items(cm, items, opt, nullptr);
  opt.threads = 2;
  const Container c2 = compress_items(cm, items, opt, nullptr);
  EXPECT_TRUE(c1 == c2);
  EXPECT_EQ(c1.streams.size(), 5u);
  for (int threads : {1, 3}) expect_same(decompress_items(cm, c1, threads, "t.lbb"), items);
}

// A stream starts empty, so its first tiles are coded directly until the message is deep
// enough for the flow's first pops: small inputs get one stream (one such start), and a trial
// that borrowed is not followed by others while the message is still as short.
TEST(Tiles, SmallInputsAreOneStream) {
  const CodingModel cm = coding_model(kGrey4x4);  // RGB images: direct tiles only, quick
  for (uint32_t w : {295u, 296u}) {
    const ImageItem item = smooth_item("rgb.png", 3, 296, w, 3);
    const Container c = compress_items(cm, {item}, CompressOptions{}, nullptr);
    EXPECT_EQ(c.streams.size(), item.pixels.size() < kOneStreamSubpixels ? 1u : 2u) << item.pixels.size();
  }
}

// lbb compress samples tiles to choose a model; the sample's bits do not depend on threads.
TEST(Tiles, TileSampleDoesNotDependOnThreads) {
  const CodingModel cm = coding_model(kGrey4x4);
  const std::vector<ImageItem> items = {smooth_item("a.png", 1, 40, 44, 5), smooth_item("b.png", 1, 9, 30, 6)};
  double dims1 = 0, dims3 = 0;
  const double bits1 = sample_tile_bits(cm, true, items, 32, &dims1, 1);
  const double bits3 = sample_tile_bits(cm, true, items, 32, &dims3, 3);
  EXPECT_EQ(bits1, bits3);
  EXPECT_EQ(dims1, (16 + 2 * 7) * 16.0) << "16 tiles of a.png, all 2 x 7 of b.png";
  EXPECT_EQ(dims3, dims1);
}

TEST(Tiles, FlowTrialsAreNotRunInVain) {
  const CodingModel cm = coding_model(kGrey4x4);
  const ImageItem item = smooth_item("grey.png", 1, 40, 40, 4);
  CompressOptions opt;
  opt.prefer_flow = true;
  opt.streams = 1;
  CompressReport r;
  expect_same(round_trip(cm, {item}, opt, &r), {item});
  EXPECT_GT(r.tiles_by_mode[static_cast<int>(TileMode::kFlow)], 50);
  EXPECT_GE(r.flow_trials_borrowed, 1) << "the first trial comes at k/2 bits per subpixel, too early";
  EXPECT_LE(r.flow_trials_borrowed, 2) << r.flow_trials << " trials";
}

TEST(FlowTrialGate, SkipsWhereTrialsLostAndExploresAgain) {
  FlowTrialGate gate;
  for (int i = 0; i < FlowTrialGate::kMinTrials - 1; ++i) {
    EXPECT_TRUE(gate.worth_trying(1.0)) << "too few trials to judge: " << i;
    gate.record(1.0, 1.4);  // the flow lost
  }
  EXPECT_TRUE(gate.worth_trying(1.1));
  gate.record(1.1, 1.2);
  // 8 trials within ±0.25 bits per subpixel, none saved anything: skip, but every 8th is tried.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < FlowTrialGate::kExploreEvery - 1; ++i) EXPECT_FALSE(gate.worth_trying(1.2)) << i;
    EXPECT_TRUE(gate.worth_trying(1.2)) << "the exploring trial";
  }
  EXPECT_TRUE(gate.worth_trying(1.5)) << "no trials within 0.25 of 1.5";
  EXPECT_TRUE(gate.worth_trying(3.0));
  // One trial that saved 0.1 bits per subpixel lifts the mean over the 9 above kMinSaving.
  gate.record(0.9, 0.8);
  EXPECT_TRUE(gate.worth_trying(1.0));
  EXPECT_TRUE(gate.worth_trying(1.0));
}

TEST(FlowTrialGate, BucketsClampAnyCost) {
  FlowTrialGate gate;
  for (int i = 0; i < FlowTrialGate::kMinTrials; ++i) gate.record(100.0, 200.0);
  EXPECT_FALSE(gate.worth_trying(50.0)) << "costs past the last bucket share it";
  EXPECT_TRUE(gate.worth_trying(-1.0));
  EXPECT_TRUE(gate.worth_trying(std::nan("")));
}

// On tiles where the flow keeps losing, the encoder stops trying it; --exhaustive tries every
// tile. One strip of 96 tiles of the shipped Fashion-MNIST model's size: test images, where
// the flow wins, alternating with linear ramps, where the adaptive coder costs almost nothing.
TEST(Tiles, FlowTrialsAreSkippedWhereTheFlowLoses) {
  const CodingModel cm = load_coding_model(LBB_SOURCE_DIR "/models/fmnist.lbbm");
  constexpr uint32_t kTiles = 96;
  const ImageItem fashion = load_image_items({"fmnist:test:" + std::to_string(kTiles / 2)})[0];
  ImageItem strip;
  strip.name = "strip.png", strip.format = ImageFormat::kPng, strip.channels = 1, strip.h = 28, strip.w = 28 * kTiles;
  strip.pixels.resize(size_t{strip.h} * strip.w);
  for (uint32_t t = 0; t < kTiles; ++t)
    for (uint32_t y = 0; y < 28; ++y)
      for (uint32_t x = 0; x < 28; ++x)
        strip.pixels[size_t{y} * strip.w + t * 28 + x] =
            t % 2 == 0 ? fashion.pixels[size_t{t / 2} * 28 * 28 + y * 28 + x] : static_cast<uint8_t>(60 + 3 * x + 2 * y);
  CompressOptions opt;
  opt.float32_networks = opt.float32_activations = true;
  CompressReport gated, all;
  expect_same(round_trip(cm, {strip}, opt, &gated), {strip});
  opt.exhaustive = true;
  expect_same(round_trip(cm, {strip}, opt, &all), {strip});
  const int flow = static_cast<int>(TileMode::kFlow);
  EXPECT_GT(gated.tiles_by_mode[flow], 10) << "the flow codes the fashion tiles";
  EXPECT_GE(gated.flow_trials_skipped, 7) << gated.flow_trials << " trials";
  EXPECT_EQ(all.flow_trials_skipped, 0);
  EXPECT_EQ(all.flow_trials, gated.flow_trials + gated.flow_trials_skipped);
  EXPECT_EQ(all.tiles_by_mode[flow], gated.tiles_by_mode[flow]) << "no ramp tile is worth the flow";
  EXPECT_EQ(all.total_bytes, gated.total_bytes);
  // Each stream has its own gate: the same file on 1 and on 2 threads.
  opt.exhaustive = false;
  opt.streams = 2;
  CompressReport two;
  opt.threads = 1;
  const std::vector<uint8_t> one_thread = serialize_container(compress_items(cm, {strip}, opt, nullptr));
  opt.threads = 2;
  EXPECT_EQ(serialize_container(compress_items(cm, {strip}, opt, &two)), one_thread);
  EXPECT_GT(two.flow_trials_skipped, 0);
}

TEST(Tiles, EachTileGoesToItsCheapestCoder) {
  const CodingModel cm = coding_model(kGrey4x4);
  ImageItem constant = smooth_item("constant.png", 1, 64, 64, 1);
  std::fill(constant.pixels.begin(), constant.pixels.end(), 200);
  ImageItem noise = smooth_item("noise.png", 1, 64, 64, 1);
  uint32_t s = 5;
  for (uint8_t& v : noise.pixels) v = static_cast<uint8_t>((s = s * 1664525u + 1013904223u) >> 24);
  for (const ImageItem& item : {constant, noise}) {
    CompressReport r;
    expect_same(round_trip(cm, {item}, CompressOptions{}, &r), {item});
    const double raw_bits = 8.0 * item.pixels.size();
    if (item.name == "constant.png") {
      EXPECT_EQ(r.tiles_by_mode[static_cast<int>(TileMode::kConstant)], r.tiles);
      EXPECT_LT(r.net_bits, 16.0 * r.tiles) << "a constant tile costs its value and its flag";
    } else {
      EXPECT_EQ(r.tiles_by_mode[static_cast<int>(TileMode::kFlow)], 0);
      EXPECT_LT(r.net_bits, 1.01 * raw_bits) << "noise costs no more than raw bytes + 1 %";
    }
  }
}

// Colour tiles coded directly go to the predictive coder (photographs) or the adaptive one
// (here a noise-free ramp, which its contexts learn to code almost for free), whichever is
// cheaper; both coders learn every such tile of the stream, so one stream mixes them freely.
TEST(Tiles, DirectTilesChooseThePredictiveOrTheAdaptiveCoder) {
  const CodingModel cm = coding_model(kGrey4x4);  // RGB images: direct tiles only
  std::vector<ImageItem> items = load_image_items({"tests/data/photo_val/rgb"});
  ASSERT_EQ(items.size(), 1u);
  ImageItem ramp = smooth_item("ramp.png", 3, 200, 150, 1);
  for (size_t k = 0; k < ramp.pixels.size(); ++k) ramp.pixels[k] = static_cast<uint8_t>(k % 150 + k / 150 % 97);
  items.push_back(ramp);
  items.push_back(items[0]);
  items.back().name = "again.png";
  for (int streams : {1, 2}) {
    SCOPED_TRACE(streams);
    CompressOptions opt;
    opt.streams = streams;
    opt.threads = 1;
    CompressReport r;
    const Container c1 = compress_items(cm, items, opt, &r);
    EXPECT_GT(r.tiles_by_mode[static_cast<int>(TileMode::kPredictive)], 0);
    EXPECT_GT(r.tiles_by_mode[static_cast<int>(TileMode::kAdaptive)], 0);
    EXPECT_LT(r.net_bits, 2.5 * 2 * items[0].pixels.size() + 0.1 * ramp.pixels.size());  // photo 2.34 bits/sample
    opt.threads = 2;
    EXPECT_TRUE(compress_items(cm, items, opt, nullptr) == c1);
    for (int threads : {1, 2}) expect_same(decompress_items(cm, c1, threads, "t.lbb"), items);
  }
}

TEST(Tiles, ConstantAlphaPlaneCostsAlmostNothing) {
  const CodingModel cm = coding_model(kGrey4x4);
  ImageItem rgb = smooth_item("rgb.png", 3, 100, 90, 4);
  ImageItem rgba = rgb;
  rgba.name = "rgba.png";
  rgba.channels = 4;
  rgba.pixels.resize(rgb.pixels.size() + 100 * 90, 255);
  CompressReport r3, r4;
  expect_same(round_trip(cm, {rgb}, CompressOptions{}, &r3), {rgb});
  expect_same(round_trip(cm, {rgba}, CompressOptions{}, &r4), {rgba});
  EXPECT_LT(r4.net_bits - r3.net_bits, 24.0) << "one constant alpha tile: its value and flag";
}

TEST(Tiles, FewColoursAreCodedAsPaletteIndices) {
  const CodingModel cm = coding_model(kGrey4x4);
  // 12 colours of an RGBA image dithered at random: the index plane is far cheaper than RGB.
  ImageItem item = smooth_item("pal.png", 4, 70, 90, 5);
  const size_t plane = 70 * 90;
  uint32_t s = 11;
  for (size_t i = 0; i < plane; ++i) {
    const uint32_t k = (i % 90 / 8 + ((s = s * 1664525u + 1013904223u) >> 31)) % 12;
    for (int c = 0; c < 3; ++c) item.pixels[c * plane + i] = static_cast<uint8_t>(k * (37 + 50 * c) % 256);
  }
  CompressReport r;
  const Container c = compress_items(cm, {item}, CompressOptions{}, &r);
  EXPECT_EQ(c.images[0].palette_size(), 12u);
  const double rgb_bits = adaptive_tile_bits(item.pixels.data(), 3, 70, 90);
  EXPECT_LT(r.net_bits, 0.6 * rgb_bits) << "one plane of indices (and the alpha plane), not three colour planes";
  expect_same(decompress_items(cm, c, 2, "p.lbb"), {item});
  // An index past the palette is corruption, not a crash.
  Container bad = c;
  bad.images[0].palette.resize(3 * 5);
  EXPECT_THROW(decompress_items(cm, bad, 1, "p.lbb"), InputError);
}

TEST(Tiles, CorruptModeOrWrongModelIsAnError) {
  const CodingModel cm = coding_model(kGrey4x4);
  const std::vector<ImageItem> items = {smooth_item("x.png", 2, 30, 30, 3)};
  const Container c = compress_items(cm, items, CompressOptions{}, nullptr);
  EXPECT_THROW(decompress_items(coding_model(kRgb4x4), c, 1, "x.lbb"), InputError);
  int detected = 0;
  for (size_t pos = 0; pos < c.streams[0].size(); pos += 7) {
    Container bad = c;
    bad.streams[0][pos] ^= 0x04;
    try {
      decompress_items(cm, bad, 1, "x.lbb");
    } catch (const InputError& e) {
      ++detected;
      EXPECT_NE(std::string(e.what()).find("x.lbb"), std::string::npos);
    }
  }
  EXPECT_EQ(detected, static_cast<int>((c.streams[0].size() + 6) / 7)) << "every flip is caught (CRC backs it up)";
}

}  // namespace
}  // namespace lbb
