// The checkpoints of imitate's iterative commands (`expert`, `train` with --batch-steps):
// OUT.ckpt, a LibTorch archive written atomically after every iteration, holding "run" (the
// options that must match to continue it) and whatever the trainer saves.
#pragma once

#include <torch/serialize.h>

#include <functional>
#include <string>

namespace lbb::imitation {

// If `path` exists: checks that it was written for `run_key` (else lbb::InputError naming the
// other run), hands it to `load` and returns true; otherwise returns false.
bool resume_checkpoint(const std::string& path, const std::string& run_key,
                       const std::function<void(torch::serialize::InputArchive&)>& load);

// Writes `run_key` and what `save` adds to `path`, atomically.
void write_checkpoint(const std::string& path, const std::string& run_key,
                      const std::function<void(torch::serialize::OutputArchive&)>& save);

}  // namespace lbb::imitation
