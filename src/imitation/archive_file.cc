#include "imitation/archive_file.h"

#include <cstdio>
#include <filesystem>

#include "common/errors.h"

namespace lbb::imitation {

void save_archive_atomic(torch::serialize::OutputArchive& ar, const std::string& path, const std::string& what) {
  const std::string tmp = path + ".tmp";
  try {
    ar.save_to(tmp);
    std::filesystem::rename(tmp, path);
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    throw IoError(path + ": cannot write " + what + " (" + std::string(e.what()).substr(0, 200) + ")");
  }
}

}  // namespace lbb::imitation
