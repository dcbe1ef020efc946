// Sub-commands of the lbb CLI; each file cmd_<name>.cc adds one to the app.
#pragma once

#include <CLI/CLI.hpp>

namespace lbb {

// Each returns the sub-command it added; main runs the callback it sets.
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_sample_command(CLI::App& app);

// Sets LibTorch's intra-op thread count (0 = all cores).
void set_threads(int threads);

}  // namespace lbb
