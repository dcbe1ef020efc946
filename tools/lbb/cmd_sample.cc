// lbb sample [--model M] --n N --out grid.png [--temperature T]
#include <cstdio>
#include <cstring>
#include <memory>

#include "flow/model_io.h"
#include "io/images.h"
#include "lbb_commands.h"
#include "options.h"
#include "model_search.h"
#include "train/threads.h"

namespace lbb {

void add_sample_command(CLI::App& app) {
  struct Args {
    std::string model, out;
    int64_t n = 64;
    double temperature = 1.0;
    uint64_t seed = 0;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("sample", "Draw samples from a model into a PNG grid");
  cmd->add_option("--model,-m", args->model, "Model file (default: the shipped model)");
  cmd->add_option("--n,-n", args->n, "Number of samples")->capture_default_str()->check(integer_in_range(1, 4096));
  cmd->add_option("--out,-o", args->out, "PNG file to write")->required();
  cmd->add_option("--temperature,-t", args->temperature, "Scale of the prior's standard deviation")
      ->capture_default_str()->check(in_range(0, 10));
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads,-T", args->threads, "Threads (0 = all cores)")->check(thread_count());
  cmd->callback([args] {
    configure_threads(args->threads);
    LoadedModel loaded = load_model(args->model.empty() ? default_model_file() : args->model);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(args->seed);
    torch::Tensor x = loaded.model->sample(args->n, args->temperature, gen).contiguous();
    ImageSet set;
    set.n = static_cast<uint32_t>(x.size(0));
    set.c = static_cast<uint32_t>(x.size(1));
    set.h = static_cast<uint32_t>(x.size(2));
    set.w = static_cast<uint32_t>(x.size(3));
    set.pixels.resize(x.numel());
    std::memcpy(set.pixels.data(), x.data_ptr<uint8_t>(), x.numel());
    set.names.assign(set.n, "sample");
    write_png_grid(args->out, set, 0);
    std::printf("wrote %lld samples (temperature %.2f) to %s\n", static_cast<long long>(set.n),
                args->temperature, args->out.c_str());
  });
}

}  // namespace lbb
