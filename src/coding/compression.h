// Compressing images of any size and layout into .lbb containers and back (torch-free): the
// frame level. Each image is cut into tiles (tiles.h, DESIGN.md §9) as planning.h decides: its
// colour planes into tiles of the flow's size (when the flow codes them in fewer bits) or of up
// to kDirectTileSide², its alpha plane into direct tiles. The global tile list is split into S
// contiguous runs, one independent rANS stream each, coded concurrently (the bytes never depend
// on the thread count). Within a stream, tiles are coded in order onto one message, each by
// whichever tile coder of tile_modes.h costs fewest bits, then its mode flag. The encoder
// pushes each stream's tiles last tile first, so that decoding runs first tile first (version 3:
// the other way round) and ends on the initial message. The flow coder's arithmetic follows the
// container version (set_version_arithmetic in compression.cc; docs/container_format.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "coding/coding_model.h"
#include "coding/flow_coder.h"
#include "coding/planning.h"
#include "coding/tile_modes.h"
#include "format/container.h"
#include "io/images.h"

namespace lbb {

// Container header flags (ContainerHeader::flags) this build writes and reads.
// The flow's conditioner networks were evaluated in float32 (DetPrecision::kFloat32: float
// weights, activations and accumulations in the same order; every elementwise transform and
// the coding stay in double). Faster; costs no measurable codelength (docs/compression.md).
inline constexpr uint32_t kFlagFloat32Networks = 1u << 0;
// With kFlagFloat32Networks only: the networks' activations (ELU, gate sigmoids, attention's
// exponentials) were evaluated by the float32 functions (DetActivations::kFloat32), not
// through double. Without it (files of earlier builds), through double.
inline constexpr uint32_t kFlagFloat32Activations = 1u << 1;

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

// What compress_items did, with the names of DESIGN.md §3.
struct CompressReport {
  int64_t images = 0, entries = 0, tiles = 0, dims = 0;  // dims = D, all subpixels
  int64_t tiles_by_mode[kTileModes] = {0, 0, 0, 0, 0, 0};  // indexed by TileMode
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
  double megapixels = 0;         // Σ count·h·w / 10^6 of the images (all channels together)
  int64_t streams = 0;
  // The coding parameters and the model file (not added).
  int precision_bits = 0;
  double sigma = 0;
  std::string model;

  int64_t flow_tiles() const { return tiles_by_mode[static_cast<int>(TileMode::kFlow)]; }
  int64_t direct_tiles() const { return tiles - flow_tiles(); }
  // Adds another report's counts, bits, bytes and seconds (per-stream reports into the file's).
  void add(const CompressReport& other);
  // One JSON object (no newline): the counts, "<mode>_tiles" for every tile mode, and the rates
  // in bits per dimension (`lbb compress --json`).
  std::string json() const;
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
