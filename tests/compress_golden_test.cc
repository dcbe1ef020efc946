// A small .lbb file compressed once and committed (tests/data), decoded by every build
// forever: any drift in the coder's arithmetic (on another compiler, CPU or after a code
// change) that would break old files fails here. Regenerate only on a deliberate format
// change: LBB_WRITE_GOLDEN=1 ./compress_golden_test (and bump the container version).
#include <gtest/gtest.h>

#include <cstdlib>

#include "coding/compression.h"
#include "io/file_bytes.h"
#include "io/images.h"
#include "io/tensor_archive.h"

namespace lbb {
namespace {

const char* kModel = "tests/data/golden_model.lbbm";
const char* kImages = "tests/data/golden_images.idx";
const char* kFile = "tests/data/golden.lbb";

ImageSet golden_images() {
  ImageSet set;
  set.n = 12, set.c = 1, set.h = 8, set.w = 8;
  uint32_t s = 2024;
  for (uint32_t i = 0; i < set.n * 64; ++i) {
    s = s * 1664525u + 1013904223u;
    const uint32_t x = i % 8, y = i / 8 % 8;
    set.pixels.push_back(static_cast<uint8_t>((x * 20 + y * 9 + (s >> 28)) & 0xff));
  }
  set.names.assign(set.n, "golden");
  return set;
}

void write_golden() {
  FlowConfig cfg = parse_flow_config(
      "image = 1x8x8\nbase_squeezes = 1\ndequant_couplings = 2\ndequant_filters = 8\n"
      "dequant_context_blocks = 1\nfilters = 8\ncomponents = 3\nheads = 2\nactnorm = channel\n"
      "attention_max_positions = 16\nflow = checker channel split squeeze checker\n",
      "golden");
  TensorArchive archive = det_synthetic_model_archive(cfg, 5, 0.02);
  ImageSet images = golden_images();
  add_direct_model(&archive, images);
  save_archive(kModel, archive);
  write_idx(kImages, images);
  CompressOptions opt;
  opt.streams = 1;
  write_container(kFile, compress_images(load_coding_model(kModel), images, opt, nullptr));
}

TEST(GoldenFile, DecodesToTheCommittedImages) {
  if (std::getenv("LBB_WRITE_GOLDEN")) write_golden();
  CodingModel model = load_coding_model(kModel);
  const Container c = read_container(kFile);
  const ImageSet expected = load_images({kImages});
  for (int threads : {1, 2}) {
    ImageSet out = decompress_images(model, c, threads, kFile);
    EXPECT_EQ(out.pixels, expected.pixels);
  }
}

TEST(GoldenFile, EncoderReproducesTheCommittedBytes) {
  CodingModel model = load_coding_model(kModel);
  CompressReport r;
  CompressOptions opt;
  opt.streams = 1;
  const Container c = compress_images(model, load_images({kImages}), opt, &r);
  EXPECT_GT(r.direct_images, 0);
  EXPECT_LT(r.direct_images, 12) << "the golden file must exercise the flow coder too";
  EXPECT_EQ(serialize_container(c), read_file_bytes(kFile));
}

}  // namespace
}  // namespace lbb
