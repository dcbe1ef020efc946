// Compressing images of any size and layout into .lbb containers and back (torch-free).
//
// Each image is cut into tiles (format/container.h, DESIGN.md §9): its colour planes into
// tiles of the flow's size (when the flow can code them) or of up to kDirectTileSide², its
// alpha plane into direct tiles. The global tile list is split into S contiguous runs, one
// independent rANS stream each, coded concurrently (the bytes never depend on the thread
// count). Within a stream, tiles are coded in order onto one message; each tile by whichever
// coder costs fewest bits:
//   flow      local bits-back with the trained flow (full colour tiles of the flow's shape,
//             once the message holds enough bits to lend, DESIGN.md §6)
//   context   the model file's static context model (model/context_image_model.h)
//   adaptive  the adaptive context model (model/adaptive_image_model.h); in version ≥ 4 files
//             carried from colour tile to colour tile of the stream, with the tile's decoded
//             neighbours above and left as context (docs/container_format.md)
//   raw       8 bits per sample
//   constant  one value per plane (8 bits each)
// and then its TileMode is pushed (so the decoder pops it first). The encoder pushes each
// stream's tiles last tile first, so that decoding runs first tile first (version 3: the other
// way round) and ends on the initial message. Version 5 evaluates the flow's convolutions
// with fused multiply-adds (CodingParams::products), versions 3 and 4 with separate roundings;
// version 6 codes each actnorm together with the 1×1 convolution after it (CodingParams::fold_actnorm).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "coding/flow_coder.h"
#include "det/det_flow.h"
#include "format/container.h"
#include "io/images.h"
#include "io/tensor_archive.h"
#include "model/context_image_model.h"

namespace lbb {

// Everything a model file provides for coding: the flow's configuration and weights, the
// direct model and the weights' identity. The deterministic flow is built from the weights
// when first asked for, in the precision asked for (thread-safe), so that a run pays only for
// the evaluator it codes with, and finding a file's model among several costs a hash each.
class CodingModel {
 public:
  CodingModel();
  // Reads the configuration and the direct model; throws InputError naming `path` (also when
  // the file has no direct model: "run `lbb fit-direct`").
  CodingModel(TensorArchive archive, const std::string& path);
  CodingModel(CodingModel&&) noexcept;
  CodingModel& operator=(CodingModel&&) noexcept;
  ~CodingModel();

  bool empty() const { return !networks_; }
  const FlowConfig& config() const { return config_; }
  // The flow with its networks in float32 or float64 (DetPrecision); throws InputError naming
  // the file if its weights do not fit its configuration.
  const DetFlowModel& networks(bool float32) const;

  std::unique_ptr<ContextImageModel> direct;
  uint64_t weights_hash = 0;
  std::string path;  // the file it was loaded from

 private:
  struct Networks;  // the archive, and each precision's evaluator once built
  std::unique_ptr<Networks> networks_;
  FlowConfig config_;
};
// Loads a model file without LibTorch (CodingModel's constructor on the file's archive).
CodingModel load_coding_model(const std::string& path);
// Name of the direct model's tensor in a model file: frequencies as float32 integers.
inline constexpr const char* kDirectModelTensor = "direct.frequencies";
// The direct model fitted on `images`, as the tensor a model file stores.
NamedTensor fit_direct_model_tensor(const ImageSet& images);
// Adds (or replaces) the direct model fitted on `images` in a model archive.
void add_direct_model(TensorArchive* archive, const ImageSet& images);

// Container header flags (ContainerHeader::flags) this build writes and reads.
// The flow's conditioner networks were evaluated in float32 (DetPrecision::kFloat32: float
// weights, activations and accumulations in the same order; every elementwise transform and
// the coding stay in double). Faster; costs no measurable codelength (docs/compression.md).
inline constexpr uint32_t kFlagFloat32Networks = 1u << 0;
// With kFlagFloat32Networks only: the networks' activations (ELU, gate sigmoids, attention's
// exponentials) were evaluated by the float32 functions (DetActivations::kFloat32), not
// through double. Without it (files of earlier builds), through double.
inline constexpr uint32_t kFlagFloat32Activations = 1u << 1;

// How one tile was coded; pushed after the tile (flow-capable tiles and the rest use two fixed
// distributions per container version). kPredictive exists from container version 8.
enum class TileMode : uint8_t { kFlow = 0, kContext = 1, kAdaptive = 2, kRaw = 3, kConstant = 4, kPredictive = 5 };
inline constexpr int kTileModes = 6;
// Side of the tiles of planes the flow does not code: large enough for the adaptive model to
// learn, small enough to spread one image over all cores.
inline constexpr uint32_t kDirectTileSide = 256;

// Inputs of fewer subpixels than this are coded as one stream by default (CompressOptions::streams).
inline constexpr uint64_t kOneStreamSubpixels = uint64_t{1} << 18;

struct CompressOptions {
  CodingParams coding;
  int streams = 0;   // 0: 2·⌈D / 2^24⌉ (1 below kOneStreamSubpixels), at most the tile count
  int threads = 0;   // 0: all cores; never changes the output
  bool float32_networks = false;     // kFlagFloat32Networks
  bool float32_activations = false;  // kFlagFloat32Activations (needs float32_networks)
  bool theoretical = false;  // also compute the flow's dequantization bound of its tiles (costs a pass)
  // Code every tile the flow can code with the flow (once the message can lend its bits),
  // whatever the direct coders would cost: for tests of the flow path.
  bool prefer_flow = false;
  // Run a flow trial on every tile the flow can code once the message is deep enough; by
  // default tiles like those on which the stream's earlier trials lost are skipped
  // (FlowTrialGate: fewer trials on photographs for a few bytes more).
  bool exhaustive = false;
  std::function<void(int64_t done, int64_t total)> progress;  // subpixels; one thread at a time
};

struct CompressReport {
  int64_t images = 0, entries = 0, tiles = 0, dims = 0;  // dims = D, all subpixels
  int64_t tiles_by_mode[kTileModes] = {0, 0, 0, 0, 0, 0};
  int64_t edge_tiles = 0;        // colour tiles smaller than the entry's tile size
  double edge_bits = 0;          // their bits (right and bottom edges; never padded)
  int64_t edge_dims = 0;
  double theoretical_bits = 0;   // Σ flow tiles' −log2 p(x°+ū) + log2 q(ū|x°) (same ū) + Σ other tiles' bits
  double net_bits = 0;           // Σ over streams of message bits after − before (no aux bits)
  uint64_t aux_bits = 0;         // Σ over streams of the most bits ever borrowed
  // Over the flow-coded tiles only (what the coder adds to the bound).
  double flow_theoretical_bits = 0, flow_net_bits = 0;
  int64_t flow_dims = 0;
  // Flow trials run, those rolled back because they borrowed (the message was too short), and
  // tiles deep enough for a trial that FlowTrialGate skipped.
  int64_t flow_trials = 0, flow_trials_borrowed = 0, flow_trials_skipped = 0;
  uint64_t total_bytes = 0;      // size of the container file
  double seconds = 0;
};

// Codes `items` (load_image_items) with `model`. Throws InputError for images the container
// cannot hold.
Container compress_items(const CodingModel& model, const std::vector<ImageItem>& items,
                         const CompressOptions& options, CompressReport* report);

// The images of an ImageSet as one IDX entry named `name` (tests, benchmarks).
std::vector<ImageItem> items_of_image_set(const ImageSet& set, const std::string& name = "images");

// Expected bits of coding a sample of up to `max_tiles` full colour tiles of `items` with the
// best of flow and direct coders (for choosing a model, and the flow-or-direct tiling of
// large images), with float32 networks and activations or in float64, on `threads` threads
// (0: all cores). Deterministic, whatever the thread count.
double sample_tile_bits(const CodingModel& model, bool float32, const std::vector<ImageItem>& items, int max_tiles,
                        double* sample_dims, int threads = 0);

// Decodes every image and checks the stored CRC; throws InputError("<name>: …") on a wrong
// model, unknown options, a stream that does not decode to its initial state, or a CRC
// mismatch. `progress` counts subpixels.
std::vector<ImageItem> decompress_items(const CodingModel& model, const Container& container, int threads,
                                        const std::string& name,
                                        const std::function<void(int64_t done, int64_t total)>& progress = nullptr);

}  // namespace lbb
