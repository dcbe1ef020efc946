// lbb: learned lossless image compression with flow models and local bits-back coding.
#include <torch/torch.h>

#include <dlfcn.h>

#include <cstdio>
#include <exception>
#include <thread>

#include "commands.h"
#include "train/trainer.h"

namespace lbb {

void set_threads(int threads) {
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  // LibTorch parallelizes over the batch itself; OpenBLAS threads on top of that made
  // the attention's batched matmuls 4x slower here. Keep OpenBLAS single-threaded.
  using SetThreads = void (*)(int);
  if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(1);
}

}  // namespace lbb

int main(int argc, char** argv) {
  CLI::App app{"lbb - lossless image compression with flow models (local bits-back coding)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lbb 0.1");
  lbb::add_train_command(app);
  lbb::add_eval_command(app);
  lbb::add_sample_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const lbb::TrainingDiverged& e) {
    std::fprintf(stderr, "\nlbb: error: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lbb: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
