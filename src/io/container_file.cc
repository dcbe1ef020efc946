#include "io/container_file.h"

#include "io/file_bytes.h"

namespace lbb {

void write_container(const std::string& path, const Container& c) {
  write_file_atomic(path, serialize_container(c));
}

Container read_container(const std::string& path) {
  return parse_container(read_file_bytes(path), path);
}

}  // namespace lbb
