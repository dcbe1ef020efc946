// lbb: learned lossless image compression with flow models and local bits-back coding.
#include <cstdio>
#include <exception>

#include "commands.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  CLI::App app{"lbb - lossless image compression with flow models (local bits-back coding)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lbb 0.1");
  lbb::add_train_command(app);
  lbb::add_eval_command(app);
  lbb::add_sample_command(app);
  lbb::add_compress_command(app);
  lbb::add_decompress_command(app);
  lbb::add_fit_direct_command(app);
  lbb::add_bench_command(app);
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
