#include "io/output_set.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "common/errors.h"

namespace lbb {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::strerror(err); }

void write_whole(const std::string& tmp, const std::string& target, const std::vector<uint8_t>& bytes) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) throw IoError(target + ": cannot create temporary file: " + errno_text(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t put = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) {
      const int err = errno;
      ::close(fd);
      throw IoError(target + ": cannot write: " + errno_text(err));
    }
    done += static_cast<size_t>(put);
  }
  if (::close(fd) != 0) throw IoError(target + ": cannot close: " + errno_text(errno));
}

}  // namespace

bool is_safe_relative_path(const std::string& name) {
  if (name.empty() || name[0] == '/' || name.find('\0') != std::string::npos) return false;
  size_t start = 0;
  for (;;) {
    const size_t slash = name.find('/', start);
    const std::string part = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

void check_output_paths(const std::vector<std::string>& paths, bool overwrite) {
  std::set<std::string> seen;
  for (const std::string& p : paths) {
    const std::string normal = fs::path(p).lexically_normal().string();
    if (!seen.insert(normal).second) throw IoError(p + ": two images would be written to the same file");
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(p, ec);
    if (fs::exists(st)) {
      if (!overwrite) throw IoError(p + ": already exists (use -f to overwrite)");
      if (!fs::is_regular_file(st)) throw IoError(p + ": exists and is not a regular file");
    }
    for (fs::path dir = fs::path(p).parent_path(); !dir.empty(); dir = dir.parent_path()) {
      const fs::file_status ds = fs::status(dir, ec);
      if (fs::exists(ds)) {
        if (!fs::is_directory(ds)) throw IoError(dir.string() + ": exists and is not a directory");
        break;
      }
      if (dir == dir.root_path()) break;
    }
  }
}

void write_files_all_or_nothing(const std::vector<std::string>& paths,
                                const std::function<std::vector<uint8_t>(size_t)>& bytes_of, bool overwrite) {
  static std::atomic<uint64_t> counter{0};
  std::vector<fs::path> created_dirs;   // in creation order (parents first)
  std::vector<std::string> temps;       // written, not yet renamed
  std::vector<std::string> placed;      // renamed into a place that was empty
  const auto roll_back = [&] {
    std::error_code ec;
    for (const std::string& t : temps) fs::remove(t, ec);
    for (const std::string& p : placed) fs::remove(p, ec);
    for (auto it = created_dirs.rbegin(); it != created_dirs.rend(); ++it) fs::remove(*it, ec);  // only if empty
  };
  try {
    check_output_paths(paths, overwrite);
    std::vector<std::string> tmp_of(paths.size());
    for (size_t i = 0; i < paths.size(); ++i) {
      const fs::path target(paths[i]);
      std::vector<fs::path> missing;
      for (fs::path dir = target.parent_path(); !dir.empty() && !fs::exists(dir); dir = dir.parent_path()) {
        missing.push_back(dir);
        if (dir == dir.root_path()) break;
      }
      for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        std::error_code ec;
        if (!fs::create_directory(*it, ec) && ec)
          throw IoError(it->string() + ": cannot create directory: " + ec.message());
        created_dirs.push_back(*it);
      }
      const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
      tmp_of[i] = (dir / ("." + target.filename().string().substr(0, 200) + ".tmp-" + std::to_string(::getpid()) +
                          "-" + std::to_string(counter.fetch_add(1))))
                      .string();
      const std::vector<uint8_t> bytes = bytes_of(i);
      temps.push_back(tmp_of[i]);
      write_whole(tmp_of[i], paths[i], bytes);
    }
    for (size_t i = 0; i < paths.size(); ++i) {
      std::error_code ec;
      const bool existed = fs::exists(fs::symlink_status(paths[i], ec));
      if (existed && !overwrite) throw IoError(paths[i] + ": appeared while decoding (use -f to overwrite)");
      if (::rename(tmp_of[i].c_str(), paths[i].c_str()) != 0)
        throw IoError(paths[i] + ": cannot rename temporary file into place: " + errno_text(errno));
      temps[i].clear();
      if (!existed) placed.push_back(paths[i]);
    }
  } catch (...) {
    roll_back();
    throw;
  }
}

}  // namespace lbb
