// Sub-commands of the lbb CLIs; each file cmd_<name>.cc adds one to an app. `lbb` (no LibTorch)
// has compress, decompress and fit-direct; `lbb-train` (LibTorch) has train, eval, sample and
// bench, which `lbb` hands on to it.
#pragma once

#include <CLI/CLI.hpp>

namespace lbb {

// Each adds its sub-command with a callback that runs it.
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_compress_command(CLI::App& app);
void add_decompress_command(CLI::App& app);
void add_fit_direct_command(CLI::App& app);
void add_bench_command(CLI::App& app);

}  // namespace lbb
