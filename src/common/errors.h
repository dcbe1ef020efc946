// Error types of every room (src/common: torch-free, header-only).
//
// InputError: something the user handed us is unusable (missing file, corrupt or
//   unsupported image, bad model file). The message is one line, "<name>: <problem>".
// IoError: we could not write an output file (permissions, missing directory, disk full).
//   Writers never leave a partial file behind when they throw it.
#pragma once

#include <stdexcept>
#include <string>

namespace lbb {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

class IoError : public std::runtime_error {
 public:
  explicit IoError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace lbb
