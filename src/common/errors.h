// Error types of every room (src/common: torch-free, header-only).
//
// InputError: something the user handed us is unusable (missing file, corrupt or
//   unsupported image, bad model file). The message is one line, "<name>: <problem>".
// IoError: we could not write an output file (permissions, missing directory, disk full).
//   Writers never leave a partial file behind when they throw it.
//
// Names that come from files or the command line go into messages through printable(), so one
// error is always one line and never drives the terminal.
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

// `name` with control characters (bytes < 0x20 and 0x7F) and backslashes written as \xHH,
// cut to `max_bytes` bytes ("..." appended); other bytes (UTF-8 included) unchanged.
inline std::string printable(const std::string& name, size_t max_bytes = 200) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < name.size() && i < max_bytes; ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f || c == '\\') {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (name.size() > max_bytes) out += "...";
  return out;
}

}  // namespace lbb
