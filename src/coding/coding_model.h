// The coding model: what a model file provides for coding, torch-free — the flow's
// configuration and weights (evaluated by det/det_flow.h), the direct model of the first
// images, and the weights' identity (the container's model id) — and the fit of that direct
// model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "det/det_flow.h"
#include "format/container.h"
#include "io/images.h"
#include "io/tensor_archive.h"
#include "model/context_image_model.h"

namespace lbb {

// The deterministic flow is built from the weights when first asked for, in the precision
// asked for (thread-safe), so that a run pays only for the evaluator it codes with, and finding
// a file's model among several costs a hash each.
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

  std::unique_ptr<ContextImageModel> direct;  // never null in a loaded model
  uint64_t weights_hash = 0;  // archive_weights_hash: the model id of container versions 3 to 8
  uint64_t content_hash = 0;  // archive_content_hash: the model id from version 9 (config too)
  // The id a container of `version` made with this model stores (format/container.h).
  uint32_t model_id(uint8_t version) const { return model_id_for(version, weights_hash, content_hash); }
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

}  // namespace lbb
