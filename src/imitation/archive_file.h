// Writing the LibTorch archives of imitate's files (policies, demonstrations) atomically.
#pragma once

#include <torch/serialize/output-archive.h>

#include <string>

namespace lbb::imitation {

// Saves `ar` to a temporary beside `path` and renames it into place; on failure removes the
// temporary and throws IoError("<path>: cannot write <what> (...)"), leaving `path` as it was.
void save_archive_atomic(torch::serialize::OutputArchive& ar, const std::string& path, const std::string& what);

}  // namespace lbb::imitation
