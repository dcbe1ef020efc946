// Small .lbb files compressed once and committed (tests/data), decoded by every build
// forever: any drift in the coder's arithmetic (on another compiler, CPU or after a code
// change) that would break old files fails here. One file per container version this build
// reads (golden_v3.lbb to golden_v8.lbb: versions 3 to 8, written by the builds that wrote
// them; golden.lbb: the current version). On a deliberate format change, bump the container version, keep the old
// file as golden_vN.lbb and regenerate: LBB_WRITE_GOLDEN=1 ./compress_golden_test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <utility>

#include "coding/compression.h"
#include "io/container_file.h"
#include "io/file_bytes.h"
#include "io/images.h"
#include "io/tensor_archive.h"

namespace lbb {
namespace {

const char* kModel = "tests/data/golden_model.lbbm";
const char* kImages = "tests/data/golden_images.idx";
const char* kFile = "tests/data/golden.lbb";
const char* kFileV3 = "tests/data/golden_v3.lbb";
const char* kFileV4 = "tests/data/golden_v4.lbb";
const char* kFileV5 = "tests/data/golden_v5.lbb";
// Versions 5 and 6 also as lbb compress wrote them by default (float32 networks and activations).
const char* kFileV5F32 = "tests/data/golden_v5_f32_activations.lbb";
const char* kFileV6 = "tests/data/golden_v6.lbb";
const char* kFileV6F32 = "tests/data/golden_v6_f32_activations.lbb";
const char* kFileV7 = "tests/data/golden_v7.lbb";
const char* kFileV7F32 = "tests/data/golden_v7_f32_activations.lbb";
// Version 8: the model id covers the weights alone (version 9: the whole model file).
const char* kFileV8 = "tests/data/golden_v8.lbb";
const char* kFileV8F32 = "tests/data/golden_v8_f32_activations.lbb";
// The same images with the flow's networks in float32 (kFlagFloat32Networks), and with their
// activations in float32 too (kFlagFloat32Activations, as lbb compress writes by default);
// written by LBB_WRITE_GOLDEN_F32=1 ./compress_golden_test.
const char* kFileF32 = "tests/data/golden_f32.lbb";
const char* kFileF32Activations = "tests/data/golden_f32_activations.lbb";

// Version 7 codes each layer's pops and pushes in runs of 64 elements (kCodingRun), which the
// 8×8 tiles above never fill: 16×16 tiles of a second small model do (128 elements a coupling
// codes), as lbb compress writes by default (float32 networks and activations). Written by
// LBB_WRITE_GOLDEN=1 with the others; on a format change keep it as golden_runs_vN.lbb.
const char* kRunsModel = "tests/data/golden_runs_model.lbbm";
const char* kRunsFile = "tests/data/golden_runs.lbb";
const char* kRunsFileV7 = "tests/data/golden_runs_v7.lbb";
const char* kRunsFileV8 = "tests/data/golden_runs_v8.lbb";

// Version 8 codes colour tiles the flow does not code with the cheaper of the adaptive and the
// predictive coder; the ramps above are the adaptive coder's, a photograph is the predictive
// coder's: a 96×64 crop of a committed validation crop, coded with the golden model (which
// codes 8×8 grey tiles, so the photograph is one direct RGB tile). Written by
// LBB_WRITE_GOLDEN=1 with the others; on a format change keep it as golden_photo_vN.lbb.
const char* kPhotoSource = "tests/data/photo_val/rgb/plasma-FallenLeaf-crop.png";
const char* kPhotoFile = "tests/data/golden_photo.lbb";
const char* kPhotoFileV8 = "tests/data/golden_photo_v8.lbb";

// n grey side×side images: a ramp (fx per column, fy per row) plus 4 bits of LCG noise.
ImageSet ramp_images(uint32_t n, uint32_t side, uint32_t seed, uint32_t fx, uint32_t fy, const char* name) {
  ImageSet set;
  set.n = n, set.c = 1, set.h = side, set.w = side;
  uint32_t s = seed;
  for (uint32_t i = 0; i < n * side * side; ++i) {
    s = s * 1664525u + 1013904223u;
    const uint32_t x = i % side, y = i / side % side;
    set.pixels.push_back(static_cast<uint8_t>((x * fx + y * fy + (s >> 28)) & 0xff));
  }
  set.names.assign(n, name);
  return set;
}

ImageSet golden_images() { return ramp_images(40, 8, 2024, 20, 9, "golden"); }

// The golden models' configuration, for side×side grey tiles.
FlowConfig golden_config(int side) {
  const std::string s = std::to_string(side);
  return parse_flow_config(
      "image = 1x" + s + "x" + s + "\nbase_squeezes = 1\ndequant_couplings = 2\ndequant_filters = 8\n"
      "dequant_context_blocks = 1\nfilters = 8\ncomponents = 3\nheads = 2\nactnorm = channel\n"
      "attention_max_positions = 16\nflow = checker channel split squeeze checker\n",
      "golden");
}

// The committed images as the file holds them: the IDX file as one entry, and two small images
// of other layouts and odd sizes (grey+alpha 9x13, RGBA 5x3) cut into edge tiles.
std::vector<ImageItem> golden_items() {
  std::vector<ImageItem> items = items_of_image_set(load_images({kImages}), "golden_images.idx");
  for (uint32_t channels : {2u, 4u}) {
    ImageItem item;
    item.name = "layouts/odd_" + std::to_string(channels) + ".png";
    item.channels = channels;
    item.h = channels == 2 ? 9 : 5, item.w = channels == 2 ? 13 : 3;
    for (uint32_t i = 0; i < channels * item.h * item.w; ++i) item.pixels.push_back(static_cast<uint8_t>(i * 37 + channels));
    items.push_back(std::move(item));
  }
  return items;
}

CompressOptions golden_options() {
  CompressOptions opt;
  opt.streams = 2;
  opt.prefer_flow = true;  // the synthetic weights model nothing; the file must exercise the flow
  return opt;
}

// 16×16 images of the same kind as golden_images(), made here (not committed).
std::vector<ImageItem> golden_runs_items() { return items_of_image_set(ramp_images(30, 16, 77, 11, 6, "runs"), "runs.idx"); }

std::vector<ImageItem> golden_photo_items() {
  const ImageItem crop = load_image_items({kPhotoSource}).at(0);
  ImageItem item;
  item.name = "photo.png";
  item.channels = 3, item.h = 64, item.w = 96;
  for (uint32_t c = 0; c < 3; ++c)
    for (uint32_t y = 0; y < item.h; ++y)
      for (uint32_t x = 0; x < item.w; ++x) item.pixels.push_back(crop.pixels[(size_t{c} * crop.h + y) * crop.w + x]);
  return {item};
}

CompressOptions golden_runs_options() {
  CompressOptions opt = golden_options();
  opt.streams = 1;
  opt.float32_networks = opt.float32_activations = true;
  return opt;
}

void write_golden_runs() {
  const FlowConfig cfg = golden_config(16);
  TensorArchive archive = det_synthetic_model_archive(cfg, 6, 0.02);
  add_direct_model(&archive, ramp_images(1, 16, 77, 11, 6, "runs"));  // the first of the images
  save_archive(kRunsModel, archive);
  write_container(kRunsFile, compress_items(load_coding_model(kRunsModel), golden_runs_items(), golden_runs_options(), nullptr));
}

void write_golden_photo() {
  write_container(kPhotoFile, compress_items(load_coding_model(kModel), golden_photo_items(), CompressOptions{}, nullptr));
}

void write_golden() {
  const FlowConfig cfg = golden_config(8);
  TensorArchive archive = det_synthetic_model_archive(cfg, 5, 0.02);
  ImageSet images = golden_images();
  add_direct_model(&archive, images);
  save_archive(kModel, archive);
  write_idx(kImages, images);
  write_container(kFile, compress_items(load_coding_model(kModel), golden_items(), golden_options(), nullptr));
}

TEST(GoldenFile, DecodesToTheCommittedImages) {
  if (std::getenv("LBB_WRITE_GOLDEN")) write_golden(), write_golden_runs(), write_golden_photo();
  CodingModel model = load_coding_model(kModel);
  const std::vector<ImageItem> expected = golden_items();
  const std::pair<const char*, int> files[] = {{kFileV3, 3}, {kFileV4, 4}, {kFileV5, 5}, {kFileV5F32, 5},
                                               {kFileV6, 6}, {kFileV6F32, 6}, {kFileV7, 7}, {kFileV7F32, 7},
                                               {kFileV8, 8}, {kFileV8F32, 8}, {kFile, kContainerVersion}};
  for (const auto& [file, version] : files) {
    const Container c = read_container(file);
    EXPECT_EQ(c.header.version, version) << file;
    for (int threads : {1, 2}) {
      const std::vector<ImageItem> out = decompress_items(model, c, threads, file);
      ASSERT_EQ(out.size(), expected.size()) << file;
      for (size_t i = 0; i < out.size(); ++i) {
        EXPECT_EQ(out[i].name, expected[i].name) << file;
        EXPECT_EQ(out[i].channels, expected[i].channels) << file;
        EXPECT_EQ(out[i].pixels, expected[i].pixels) << file;
      }
    }
  }
}

TEST(GoldenFile, EncoderReproducesTheCommittedBytes) {
  CodingModel model = load_coding_model(kModel);
  CompressReport r;
  const Container c = compress_items(model, golden_items(), golden_options(), &r);
  EXPECT_GT(r.tiles_by_mode[static_cast<int>(TileMode::kFlow)], 0) << "the golden file must exercise the flow coder";
  EXPECT_GT(r.edge_tiles, 0);
  EXPECT_EQ(serialize_container(c), read_file_bytes(kFile));
}

TEST(GoldenFile, RunsOfPopsAndPushesReproduceTheCommittedBytes) {
  CodingModel model = load_coding_model(kRunsModel);
  CompressReport r;
  const Container c = compress_items(model, golden_runs_items(), golden_runs_options(), &r);
  EXPECT_GT(r.tiles_by_mode[static_cast<int>(TileMode::kFlow)], 10) << "the file must exercise the flow coder";
  EXPECT_EQ(serialize_container(c), read_file_bytes(kRunsFile));
  const std::vector<ImageItem> expected = golden_runs_items();
  for (const auto& [file, version] : {std::pair<const char*, int>{kRunsFileV7, 7}, {kRunsFileV8, 8}, {kRunsFile, kContainerVersion}}) {
    const Container committed = read_container(file);
    EXPECT_EQ(committed.header.version, version) << file;
    for (int threads : {1, 2}) {
      const std::vector<ImageItem> out = decompress_items(model, committed, threads, file);
      ASSERT_EQ(out.size(), expected.size()) << file;
      EXPECT_EQ(out[0].pixels, expected[0].pixels) << file;
    }
  }
}

TEST(GoldenFile, PredictiveCoderReproducesTheCommittedBytes) {
  CodingModel model = load_coding_model(kModel);
  CompressReport r;
  const std::vector<ImageItem> photo = golden_photo_items();
  const Container c = compress_items(model, photo, CompressOptions{}, &r);
  EXPECT_EQ(r.tiles_by_mode[static_cast<int>(TileMode::kPredictive)], 1) << "the file must exercise the predictive coder";
  EXPECT_EQ(serialize_container(c), read_file_bytes(kPhotoFile));
  for (const auto& [file, version] : {std::pair<const char*, int>{kPhotoFileV8, 8}, {kPhotoFile, kContainerVersion}}) {
    const Container committed = read_container(file);
    EXPECT_EQ(committed.header.version, version) << file;
    for (int threads : {1, 2}) {
      const std::vector<ImageItem> out = decompress_items(model, committed, threads, file);
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].pixels, photo[0].pixels) << file;
    }
  }
}

// Float32 networks: the flags are recorded, the bytes are reproduced (also by the baseline-clone
// build, compress_golden_baseline_test: the float kernels give the same bits on every CPU), the
// file decodes with any thread count, and it differs from the float64 file.
void check_float32_golden(bool float32_activations, const char* file, uint32_t flags) {
  CodingModel model = load_coding_model(kModel);
  CompressOptions opt = golden_options();
  opt.float32_networks = true;
  opt.float32_activations = float32_activations;
  const std::vector<uint8_t> bytes = serialize_container(compress_items(model, golden_items(), opt, nullptr));
  if (std::getenv("LBB_WRITE_GOLDEN_F32")) write_file_atomic(file, bytes);
  EXPECT_EQ(bytes, read_file_bytes(file));
  EXPECT_NE(bytes, read_file_bytes(kFile));
  const Container c = read_container(file);
  EXPECT_EQ(c.header.flags, flags);
  const std::vector<ImageItem> expected = golden_items();
  for (int threads : {1, 3}) {
    const std::vector<ImageItem> out = decompress_items(model, c, threads, file);
    ASSERT_EQ(out.size(), expected.size());
    for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].pixels, expected[i].pixels);
  }
}

TEST(GoldenFile, Float32NetworksReproduceTheCommittedBytes) {
  check_float32_golden(false, kFileF32, kFlagFloat32Networks);
}

TEST(GoldenFile, Float32ActivationsReproduceTheCommittedBytes) {
  check_float32_golden(true, kFileF32Activations, kFlagFloat32Networks | kFlagFloat32Activations);
  EXPECT_NE(read_file_bytes(kFileF32Activations), read_file_bytes(kFileF32));
}

}  // namespace
}  // namespace lbb
