// .lbb files on disk: the container of format/container.h, read whole and written atomically.
#pragma once

#include <string>

#include "format/container.h"

namespace lbb {

// Writes atomically (temporary + rename; nothing is left behind on failure).  Throws
// std::invalid_argument for an invalid container (before touching the file system) and
// IoError("<path>: ...") if the file cannot be written.
void write_container(const std::string& path, const Container& c);

// read_file_bytes + parse_container; throws InputError("<path>: ...").
Container read_container(const std::string& path);

}  // namespace lbb
