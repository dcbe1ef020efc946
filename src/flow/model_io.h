// Model files: a TensorArchive (io/tensor_archive.h) holding the config text and every
// parameter and buffer of a FlowModel by name. Torch-free readers can use the same file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "flow/flow_model.h"
#include "io/tensor_archive.h"

namespace lbb {

// Name -> tensor for every parameter and buffer of `model` (float32 copies).
TensorArchive model_to_archive(FlowModel& model, const std::string& prefix = "");
// Copies the tensors named `prefix + name` into the model; throws InputError naming
// `origin` when one is missing or has the wrong shape.
void load_model_tensors(FlowModel& model, const TensorArchive& archive, const std::string& origin,
                        const std::string& prefix = "");

// Saves a model file (atomic): meta["format"] = "lbb-model", meta["config"], plus `meta`,
// and `extra` tensors after the model's own (e.g. the direct model of compression.h).
void save_model(const std::string& path, FlowModel& model,
                const std::map<std::string, std::string>& meta,
                const std::vector<NamedTensor>& extra = {});
struct LoadedModel {
  FlowModel model{nullptr};
  TensorArchive archive;  // meta and the weights as stored (for hashing)
};
LoadedModel load_model(const std::string& path);


}  // namespace lbb
