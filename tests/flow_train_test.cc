// Training, checkpoints and model files.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "common/errors.h"
#include "flow/model_io.h"
#include "io/images.h"
#include "train/evaluate.h"
#include "train/trainer.h"

namespace lbb {
namespace {

namespace fs = std::filesystem;

// A small model that trains in seconds.
FlowConfig tiny_config() {
  return parse_flow_config(
      "image = 1x28x28\nbase_squeezes = 1\ndequant_couplings = 2\ndequant_filters = 8\n"
      "dequant_context_blocks = 1\nfilters = 16\ncomponents = 2\nheads = 2\n"
      "attention_max_positions = 49\nactnorm = channel\n"
      "flow = checker channel split squeeze checker\nwarmup_steps = 10\nbatch = 32\nlr = 3e-3\n",
      "tiny");
}

std::string temp_path(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("lbb_train_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

TEST(Training, ShortRunLowersBpd) {
  torch::set_num_threads(2);
  ImageSet data = load_images({"fmnist:train:512"});
  FlowConfig cfg = tiny_config();
  TrainOptions opt;
  opt.out = temp_path("short.lbbm");
  opt.steps = 60;
  opt.quiet = true;
  TrainResult r = train(cfg, data, opt);
  EXPECT_EQ(r.steps, 60);
  LoadedModel m = load_model(opt.out);
  EvalOptions eo;
  double after = evaluate(m.model, data, eo).bpd;
  // Untrained (initialized) model starts near 8 bpd; 60 steps must cut a lot of that.
  EXPECT_GT(r.first_bpd, 7.0);
  EXPECT_LT(after, r.first_bpd - 1.5) << "first " << r.first_bpd << " after " << after;
}

TEST(Training, ResumeContinuesFromCheckpoint) {
  torch::set_num_threads(2);
  ImageSet data = load_images({"fmnist:train:128"});
  FlowConfig cfg = tiny_config();
  TrainOptions opt;
  opt.out = temp_path("resume.lbbm");
  opt.steps = 5;
  opt.quiet = true;
  train(cfg, data, opt);
  opt.steps = 8;
  opt.resume = true;
  TrainResult r = train(cfg, data, opt);
  EXPECT_EQ(r.steps, 8);
  TensorArchive ck = load_archive(opt.out + ".ckpt");
  EXPECT_EQ(ck.meta.at("step"), "8");
  // Resuming with another architecture is refused with a clear message.
  FlowConfig other = cfg;
  other.filters = 8;
  EXPECT_THROW(train(other, data, opt), InputError);
}

TEST(Training, DivergenceStopsWithMessage) {
  torch::set_num_threads(2);
  ImageSet data = load_images({"fmnist:train:64"});
  FlowConfig cfg = tiny_config();
  cfg.grad_clip = 0;  // no clipping
  TrainOptions opt;
  opt.out = temp_path("diverge.lbbm");
  opt.steps = 200;
  opt.lr = 1e6;
  opt.quiet = true;
  try {
    train(cfg, data, opt);
    FAIL() << "expected TrainingDiverged";
  } catch (const TrainingDiverged& e) {
    EXPECT_NE(std::string(e.what()).find("training diverged at step"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, SaveLoadGivesIdenticalOutputs) {
  FlowModel model(tiny_config());
  {
    torch::NoGradGuard no_grad;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
    for (auto& p : model->parameters()) p.add_(torch::randn(p.sizes(), gen) * 0.05);
  }
  const std::string path = temp_path("saved.lbbm");
  save_model(path, model, {{"note", "test"}});
  LoadedModel loaded = load_model(path);
  EXPECT_EQ(loaded.archive.meta.at("note"), "test");
  EXPECT_EQ(to_text(loaded.model->config), to_text(model->config));
  ImageSet data = load_images({"fmnist:test:4"});
  model->eval();
  EvalOptions eo;
  EvalResult a = evaluate(model, data, eo), b = evaluate(loaded.model, data, eo);
  ASSERT_EQ(a.per_image_bpd.size(), b.per_image_bpd.size());
  for (size_t i = 0; i < a.per_image_bpd.size(); ++i) EXPECT_EQ(a.per_image_bpd[i], b.per_image_bpd[i]);
  // Another architecture cannot load these weights.
  FlowConfig other = tiny_config();
  other.filters = 8;
  FlowModel wrong(other);
  EXPECT_THROW(load_model_tensors(wrong, loaded.archive, path), InputError);
}

TEST(Evaluate, IndependentOfBatchSizeAndImportanceBoundIsTighter) {
  torch::set_num_threads(2);
  FlowModel model(tiny_config());
  ImageSet data = load_images({"fmnist:test:6"});
  EvalOptions eo;
  eo.batch = 6;
  EvalResult a = evaluate(model, data, eo);
  eo.batch = 4;
  EvalResult b = evaluate(model, data, eo);
  for (size_t i = 0; i < a.per_image_bpd.size(); ++i)
    EXPECT_NEAR(a.per_image_bpd[i], b.per_image_bpd[i], 1e-5);
  eo.samples = 16;
  eo.batch = 16;
  EvalResult iw = evaluate(model, data, eo);
  // Jensen, image by image: −log mean_k w_k ≤ mean_k −log w_k, so the IW bound is below the mean
  // of the 16 single-sample bounds (bpd with K > 1), strictly unless every sample agrees.
  EXPECT_LT(iw.bpd_iw, iw.bpd);
  // That mean estimates the same expectation as one sample per image: close to it.
  EXPECT_NEAR(iw.bpd, a.bpd, 0.05 * a.bpd);
}

}  // namespace
}  // namespace lbb
