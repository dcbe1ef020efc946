// The MJCF files of src/imitation/mjcf/, compiled into the binary by CMake
// (cmake/embed_mjcf.cmake writes their definitions).
#pragma once

#include <string>
#include <vector>

namespace lbb::imitation {

// The text of mjcf/<name>.xml, or nullptr.
const std::string* find_mjcf_source(const std::string& name);
std::vector<std::string> mjcf_source_names();  // sorted

}  // namespace lbb::imitation
