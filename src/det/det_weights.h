// Where the deterministic evaluator's weights come from: a model file's archive, or
// platform-independent pseudo-random weights for tests and benchmarks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "det/det_net.h"
#include "det/flow_config.h"
#include "io/tensor_archive.h"

namespace lbb {

// Tensors of an archive, by `prefix + name`; checks shapes and structural buffers (masks).
class DetArchiveSource : public DetTensorSource {
 public:
  DetArchiveSource(const TensorArchive& archive, std::string origin, std::string prefix = "");
  std::vector<float> get(const std::string& name, const std::vector<int64_t>& shape,
                         const std::vector<float>* init, bool exact) override;

 private:
  const TensorArchive& archive_;
  std::string origin_, prefix_;
};

// Deterministic pseudo-random weights (platform independent: splitmix64, values rounded to
// float): structural tensors get `init`, others init + noise·U(−1, 1) (or U(−1, 1) without
// init).  Records every requested tensor in build order.
class DetSyntheticSource : public DetTensorSource {
 public:
  DetSyntheticSource(uint64_t seed, double noise) : state_(seed), noise_(noise) {}
  std::vector<float> get(const std::string& name, const std::vector<int64_t>& shape,
                         const std::vector<float>* init, bool exact) override;
  TensorArchive archive;  // everything handed out so far

 private:
  uint64_t state_;
  double noise_;
};

// A complete model archive (meta "format", "config") with synthetic weights.
TensorArchive det_synthetic_model_archive(const FlowConfig& config, uint64_t seed, double noise);

}  // namespace lbb
