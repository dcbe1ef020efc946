// lbb-train's part of `bench`: LibTorch's float32 forward over the same images, for scale
// (not deterministic across batch sizes, so never used for coding).
#include "flow/model_io.h"
#include "io/images.h"
#include "lbb_commands.h"
#include "train/evaluate.h"
#include "train/threads.h"

namespace lbb {

TorchForwardSeconds libtorch_forward_seconds(const std::string& model, const ImageSet& images, int threads) {
  configure_threads(threads);
  LoadedModel torch_model = load_model(model);
  TorchForwardSeconds s;
  EvalOptions eo;
  eo.batch = 1;
  s.batch1 = evaluate(torch_model.model, images, eo).seconds;
  eo.batch = 64;
  s.batch64 = evaluate(torch_model.model, images, eo).seconds;
  return s;
}

}  // namespace lbb
