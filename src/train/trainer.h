// Maximum-likelihood training of a FlowModel on an image set: Adam with warm-up,
// gradient-norm clipping, an exponential moving average (EMA) of the weights, and
// atomic periodic checkpoints that a killed run resumes from.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "det/flow_config.h"
#include "io/images.h"

namespace lbb {

class CropSampler;

struct TrainOptions {
  std::string out;           // model file (EMA weights); the checkpoint is out + ".ckpt"
  double minutes = 0;        // stop after this much wall time (0 = no limit)
  int64_t steps = 0;         // stop at this total step count (0 = no limit)
  bool resume = false;       // continue from out + ".ckpt"
  double lr = 0;             // 0 = config.lr
  int64_t batch = 0;         // 0 = config.batch
  double checkpoint_minutes = 10;
  double log_seconds = 10;   // progress line period when stderr is not a terminal
  const ImageSet* eval_set = nullptr;  // evaluated with the EMA weights at each checkpoint
  // If set, every batch is fresh random crops from it (train/crops.h), and `data` is only a
  // pool of crops for the data-dependent initialization and the direct model.
  const CropSampler* crops = nullptr;
  bool quiet = false;
};

struct TrainResult {
  int64_t steps = 0;        // total optimizer steps taken (across resumed runs)
  double train_seconds = 0; // total training wall time (across resumed runs)
  double last_bpd = 0;      // running mean of the training bpd at the end
  double first_bpd = 0;     // training bpd of the first step of this run
  double eval_bpd = -1;     // last evaluation of eval_set (EMA weights), −1 if none
};

// Throws TrainingDiverged when the loss or the gradient norm stops being finite.
struct TrainingDiverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TrainResult train(const FlowConfig& config, const ImageSet& data, const TrainOptions& options);

}  // namespace lbb
