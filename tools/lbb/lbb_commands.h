// Sub-commands of the lbb CLIs; each file cmd_<name>.cc adds one to an app. `lbb` (no LibTorch)
// has compress, decompress, fit-direct, retile and bench; `lbb-train` (LibTorch) has train, eval and
// sample, which `lbb` hands on to it, and bench with LibTorch's forward pass beside the coder's.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace lbb {

struct ImageSet;

// Each adds its sub-command with a callback that runs it.
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_compress_command(CLI::App& app);
void add_decompress_command(CLI::App& app);
void add_fit_direct_command(CLI::App& app);
void add_retile_command(CLI::App& app);

// Seconds of LibTorch's float32 forward pass over `images` at batch 1 and at batch 64.
struct TorchForwardSeconds {
  double batch1 = 0, batch64 = 0;
};
using TorchForward = std::function<TorchForwardSeconds(const std::string& model, const ImageSet& images, int threads)>;
// lbb bench; with `torch_forward` (lbb-train) it also times LibTorch's forward, for scale.
void add_bench_command(CLI::App& app, TorchForward torch_forward = nullptr);
// The TorchForward of lbb-train (cmd_bench_torch.cc).
TorchForwardSeconds libtorch_forward_seconds(const std::string& model, const ImageSet& images, int threads);

}  // namespace lbb
