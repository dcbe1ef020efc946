// lbb fit-direct --model M --data D: fits the direct (no bits-back) context model that codes
// the first images of each stream, and stores it in the model file. `lbb train` does this
// itself; this is for model files made without it.
#include <cstdio>
#include <memory>

#include "coding/compression.h"
#include "io/images.h"
#include "io/tensor_archive.h"
#include "lbb_commands.h"

namespace lbb {

void add_fit_direct_command(CLI::App& app) {
  struct Args {
    std::string model;
    std::vector<std::string> data;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("fit-direct", "Fit the direct context model of a model file on training images");
  cmd->add_option("--model,-m", args->model, "Model file to update")->required();
  cmd->add_option("--data", args->data, "Training images")->required();
  cmd->callback([args] {
    TensorArchive archive = load_archive(args->model);
    ImageSet images = load_images(args->data);
    add_direct_model(&archive, images);
    save_archive(args->model, archive);
    std::fprintf(stderr, "%s: direct model fitted on %u images\n", args->model.c_str(), images.n);
  });
}

}  // namespace lbb
