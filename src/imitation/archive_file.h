// Writing the LibTorch archives of imitate's files (policies, demonstrations, checkpoints)
// atomically, and modules' parameters into and out of them.
#pragma once

#include <torch/nn/module.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <string>

namespace lbb::imitation {

// Saves `ar` to a temporary beside `path` and renames it into place; on failure removes the
// temporary and throws IoError("<path>: cannot write <what> (...)"), leaving `path` as it was.
void save_archive_atomic(torch::serialize::OutputArchive& ar, const std::string& path, const std::string& what);

// Writes / reads a module's parameters under `prefix` (exact float64 values); load throws
// InputError("checkpoint: missing or misshapen NAME").
void save_parameters(torch::serialize::OutputArchive& ar, const std::string& prefix, torch::nn::Module& module);
void load_parameters(torch::serialize::InputArchive& ar, const std::string& prefix, torch::nn::Module& module);

}  // namespace lbb::imitation
