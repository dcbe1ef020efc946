// lbb train --data D --out MODEL [--config C] [--patch P] [--minutes T | --steps S] [--resume] [--threads N]
#include <cstdio>
#include <algorithm>
#include <memory>
#include <random>

#include "flow/flow_model.h"
#include "io/images.h"
#include "lbb_commands.h"
#include "options.h"
#include "model_search.h"
#include "train/crops.h"
#include "train/threads.h"
#include "train/trainer.h"

namespace lbb {

void add_train_command(CLI::App& app) {
  struct Args {
    std::vector<std::string> data;
    std::string out, config = shipped_file("configs/fmnist_flowpp.cfg"), eval_data;
    double minutes = 0, lr = 0, checkpoint_minutes = 10;
    int64_t steps = 0, batch = 0;
    bool resume = false;
    int threads = 0;
    uint32_t patch = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("train", "Train a flow model by maximum likelihood");
  cmd->add_option("--data", args->data, "Training images: fmnist:train[:N], an IDX file, PNG/PGM/PPM files or directories")
      ->required();
  cmd->add_option("--out,-o", args->out, "Model file to write (the checkpoint goes to MODEL.ckpt)")->required();
  cmd->add_option("--config,-c", args->config, "Architecture config file")->capture_default_str();
  cmd->add_option("--minutes", args->minutes, "Stop after this many minutes")->check(in_range(0, 1e7));
  cmd->add_option("--steps", args->steps, "Stop at this total number of steps")->check(integer_in_range(0, 1e12));
  cmd->add_flag("--resume", args->resume, "Continue from MODEL.ckpt");
  cmd->add_option("--threads,-T", args->threads, "Threads (0 = all cores)")->capture_default_str()->check(thread_count());
  cmd->add_option("--lr", args->lr, "Learning rate (default: the config's)")->check(in_range(1e-12, 1));
  cmd->add_option("--batch", args->batch, "Batch size (default: the config's)")->check(integer_in_range(1, 1 << 16));
  cmd->add_option("--eval-data", args->eval_data, "Images evaluated (EMA weights) at every checkpoint");
  cmd->add_option("--patch", args->patch,
                  "Train on random PxP crops (with flips) of images of any size; the model codes PxP tiles")
      ->check(integer_in_range(1, 4096));
  cmd->add_option("--checkpoint-minutes", args->checkpoint_minutes, "Minutes between checkpoints")
      ->capture_default_str()->check(in_range(0, 1e7));
  cmd->callback([args] {
    if (args->minutes <= 0 && args->steps <= 0)
      throw CLI::ValidationError("train", "give --minutes or --steps");
    configure_threads(args->threads);
    FlowConfig config = load_flow_config(args->config);
    ImageSet data;
    std::unique_ptr<ImageSet> eval;
    std::unique_ptr<CropSampler> crops;
    if (args->patch > 0) {
      config.height = config.width = static_cast<int>(args->patch);
      crops = std::make_unique<CropSampler>(load_image_items(args->data), static_cast<uint32_t>(config.channels),
                                            args->patch);
      std::mt19937_64 pool_rng(config.seed);
      const int64_t batch = args->batch > 0 ? args->batch : config.batch;
      data = crops->sample(static_cast<uint32_t>(std::max<int64_t>(1024, 4 * batch)), pool_rng);
      std::fprintf(stderr, "random %ux%u crops of %zu images (%.1f megapixels)\n", args->patch, args->patch,
                   crops->images(), 1e-6 * static_cast<double>(crops->pixels()));
      if (!args->eval_data.empty())
        eval = std::make_unique<ImageSet>(full_tiles(load_image_items({args->eval_data}),
                                                     static_cast<uint32_t>(config.channels), args->patch, args->patch));
    } else {
      data = load_images(args->data);
      if (!args->eval_data.empty()) eval = std::make_unique<ImageSet>(load_images({args->eval_data}));
    }
    FlowModel probe(config);
    std::fprintf(stderr, "training on %u images %ux%ux%u, %lld parameters, %d threads\n", data.n,
                 data.c, data.h, data.w, static_cast<long long>(parameter_count(*probe)),
                 torch::get_num_threads());
    TrainOptions opt;
    opt.out = args->out;
    opt.minutes = args->minutes;
    opt.steps = args->steps;
    opt.resume = args->resume;
    opt.lr = args->lr;
    opt.batch = args->batch;
    opt.checkpoint_minutes = args->checkpoint_minutes;
    opt.eval_set = eval.get();
    opt.crops = crops.get();
    train(config, data, opt);
  });
}

}  // namespace lbb
