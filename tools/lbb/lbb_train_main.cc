// lbb-train: the LibTorch half of lbb — training, evaluation, sampling (`lbb train|eval|sample`
// runs it), and `lbb-train bench`: lbb's coder benchmark with LibTorch's forward pass beside it.
#include <cstdio>
#include <exception>
#include <new>

#include "common/openblas_kernels.h"
#include "common/errors.h"
#include "lbb_commands.h"
#include "options.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  lbb::rerun_with_openblas_kernels(argv);  // LibTorch's BLAS on CPUs newer than OpenBLAS
  CLI::App app{"lbb-train - train, evaluate and sample flow models for lbb (LibTorch)"};
  app.name("lbb");  // messages read as the user typed them: `lbb train ...`
  app.require_subcommand(1);
  app.set_version_flag("--version", "lbb 0.2");
  lbb::add_train_command(app);
  lbb::add_eval_command(app);
  lbb::add_sample_command(app);
  lbb::add_bench_command(app, lbb::libtorch_forward_seconds);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return lbb::exit_on_parse_error(app, e);
  } catch (const lbb::TrainingDiverged& e) {
    std::fprintf(stderr, "\nlbb: error: %s\n", e.what());
    return 3;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "lbb: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lbb: error: %s\n", lbb::printable(e.what(), 2000).c_str());
    return 1;
  }
  return 0;
}
