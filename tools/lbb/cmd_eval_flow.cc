// lbb eval [--model M] --data D [--samples K] [--json]
#include <cstdio>
#include <memory>
#include <unistd.h>

#include "flow/model_io.h"
#include "io/images.h"
#include "lbb_commands.h"
#include "options.h"
#include "model_search.h"
#include "train/crops.h"
#include "train/evaluate.h"
#include "train/threads.h"

namespace lbb {

void add_eval_command(CLI::App& app) {
  struct Args {
    std::string model;
    std::vector<std::string> data;
    int64_t samples = 1, batch = 100;
    uint64_t seed = 0;
    bool json = false, f64 = false;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("eval", "Bits per dimension of a model on images");
  cmd->add_option("--model,-m", args->model, "Model file (default: the shipped model)");
  cmd->add_option("--data,data", args->data, "Images of any size (by the model's tiles): fmnist:test[:N], IDX, PNG/PGM/PPM files or directories")
      ->required();
  cmd->add_option("--samples,-k", args->samples, "Samples of u per image; K > 1 adds the importance-weighted bound")
      ->capture_default_str()->check(integer_in_range(1, 1 << 16));
  cmd->add_option("--batch", args->batch, "Images (or samples) per forward pass")->capture_default_str()
      ->check(integer_in_range(1, 1 << 16));
  cmd->add_option("--seed", args->seed, "Seed of the dequantization noise")->capture_default_str();
  cmd->add_flag("--f64", args->f64, "Evaluate in float64");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->add_option("--threads,-T", args->threads, "Threads (0 = all cores)")->check(thread_count());
  cmd->callback([args] {
    configure_threads(args->threads);
    const std::string path = args->model.empty() ? default_model_file() : args->model;
    LoadedModel loaded = load_model(path);
    // Whole images of any size, by the model's tiles (edges that fill no tile are left out).
    const FlowConfig& cfg = loaded.model->config;
    uint64_t edge_subpixels = 0;
    const std::vector<ImageItem> items = load_image_items(args->data);
    ImageSet data = full_tiles(items, static_cast<uint32_t>(cfg.channels), static_cast<uint32_t>(cfg.height),
                               static_cast<uint32_t>(cfg.width), &edge_subpixels);
    EvalOptions opt;
    opt.samples = args->samples;
    opt.batch = args->batch;
    opt.seed = args->seed;
    opt.f64 = args->f64;
    const bool tty = isatty(fileno(stderr));
    if (tty)
      opt.progress = [](int64_t done, int64_t total) {
        std::fprintf(stderr, "\reval %lld/%lld images", static_cast<long long>(done),
                     static_cast<long long>(total));
        std::fflush(stderr);
      };
    EvalResult r = evaluate(loaded.model, data, opt);
    int64_t images = 0;
    for (const ImageItem& item : items) images += item.count;
    if (tty) std::fprintf(stderr, "\n");
    if (args->json) {
      std::printf("{\"model\": \"%s\", \"images\": %lld, \"tiles\": %lld, \"dims\": %lld, \"edge_dims\": %llu, \"bpd\": %.6f",
                  path.c_str(), static_cast<long long>(images), static_cast<long long>(r.images),
                  static_cast<long long>(r.dims * r.images), static_cast<unsigned long long>(edge_subpixels), r.bpd);
      if (args->samples > 1) std::printf(", \"bpd_iw\": %.6f, \"samples\": %lld", r.bpd_iw, static_cast<long long>(args->samples));
      std::printf(", \"seconds\": %.3f}\n", r.seconds);
    } else {
      std::printf("%lld images, %lld tiles, %lld dims: %.4f bits/dim (dequantization bound, 1 sample of u)",
                  static_cast<long long>(images), static_cast<long long>(r.images),
                  static_cast<long long>(r.dims * r.images), r.bpd);
      if (edge_subpixels > 0)
        std::printf("; %llu edge subpixels in no full tile left out", static_cast<unsigned long long>(edge_subpixels));
      std::printf("\n");
      if (args->samples > 1)
        std::printf("importance-weighted bound with %lld samples: %.4f bits/dim\n",
                    static_cast<long long>(args->samples), r.bpd_iw);
      std::printf("%.1f s\n", r.seconds);
    }
  });
}

}  // namespace lbb
