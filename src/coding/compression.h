// Compressing image sets into .lbb containers and back (torch-free).
//
// The images are split into S contiguous runs, one independent rANS stream each, coded
// concurrently on threads (the bytes do not depend on the thread count). Within a stream,
// images are coded in order onto one message: as long as the message is too short to lend
// the bits that local bits-back coding pops first (DESIGN.md §6), images are coded with the
// direct ContextImageModel; from the first image that can be coded by the flow without
// borrowing, every image is coded with the flow (FlowCoder). A stream's bytes are
//   varint(number of direct-coded images) · Message::to_bytes()
// and decoding runs backwards: flow-coded images last-to-first, then the direct ones.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "det/det_flow.h"
#include "coding/flow_coder.h"
#include "format/container.h"
#include "io/images.h"
#include "model/context_image_model.h"

namespace lbb {

// Everything a model file provides for coding: the deterministic flow, the direct model
// and the weights' identity.
struct CodingModel {
  std::unique_ptr<DetFlowModel> flow;
  std::unique_ptr<ContextImageModel> direct;
  uint64_t weights_hash = 0;
};
// Loads a model file without LibTorch. Throws InputError naming the file (also when the
// file has no direct model: "run `lbb fit-direct`").
CodingModel load_coding_model(const std::string& path);
// Name of the direct model's tensor in a model file: frequencies as float32 integers.
inline constexpr const char* kDirectModelTensor = "direct.frequencies";
// The direct model fitted on `images`, as the tensor a model file stores.
NamedTensor fit_direct_model_tensor(const ImageSet& images);
// Adds (or replaces) the direct model fitted on `images` in a model archive.
void add_direct_model(TensorArchive* archive, const ImageSet& images);

struct CompressOptions {
  CodingParams coding;
  int streams = 0;   // 0: min(n, 2)
  int threads = 0;   // 0: all cores; never changes the output
  bool theoretical = true;  // also compute the dequantization bound for the same ū
  std::function<void(int64_t images_done)> progress;  // called from one thread at a time
};

struct CompressReport {
  int64_t images = 0, dims = 0;  // dims = n·C·H·W
  int64_t direct_images = 0;     // coded with the direct model (first images of the streams)
  double theoretical_bits = 0;   // Σ −log2 p(x°+ū) + log2 q(ū|x°) over all images (same ū)
  double net_bits = 0;           // Σ over streams of message bits after − before (no aux bits)
  uint64_t aux_bits = 0;         // Σ over streams of the most bits ever borrowed
  // The same two figures over the flow-coded images only (what the coder adds to the bound).
  double flow_theoretical_bits = 0, flow_net_bits = 0;
  uint64_t total_bytes = 0;      // size of the container file
  double seconds = 0;
};

Container compress_images(const CodingModel& model, const ImageSet& images,
                          const CompressOptions& options, CompressReport* report);

// Decodes every image and checks the stored CRC; throws InputError("<name>: …") on a wrong
// model, unknown options, a stream that does not decode to its initial state, or a CRC
// mismatch.
ImageSet decompress_images(const CodingModel& model, const Container& container, int threads,
                           const std::string& name,
                           const std::function<void(int64_t images_done)>& progress = nullptr);

}  // namespace lbb
