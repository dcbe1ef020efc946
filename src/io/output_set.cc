#include "io/output_set.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "common/errors.h"
#include "io/unique_fd.h"
#include "io/temp_files.h"

namespace lbb {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::strerror(err); }

std::string join(const std::string& root, const std::string& name) { return (fs::path(root) / name).string(); }

// The directory part of a safe relative name ("" for none) and its last component.
std::pair<std::string, std::string> split_name(const std::string& name) {
  const size_t slash = name.rfind('/');
  if (slash == std::string::npos) return {"", name};
  return {name.substr(0, slash), name.substr(slash + 1)};
}

// Opens root/dir (dir a safe relative path or "") one component at a time without following
// a symbolic link below `root`. With `created` non-null, missing directories are made and
// recorded (full paths, parents first) and registered for the signal handlers.
int open_directory_below(int root_fd, const std::string& root, const std::string& dir,
                         std::vector<std::pair<std::string, size_t>>* created) {
  int fd = ::dup(root_fd);
  if (fd < 0) throw IoError(printable(root) + ": cannot open directory: " + errno_text(errno));
  size_t start = 0;
  while (start < dir.size()) {
    const size_t slash = std::min(dir.find('/', start), dir.size());
    const std::string part = dir.substr(start, slash - start), prefix = dir.substr(0, slash);
    start = slash + 1;
    UniqueFd parent(fd);
    fd = ::openat(parent.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && created != nullptr) {
      // Registered first: a signal between mkdir and registration would leave it behind.
      const std::string made = join(root, prefix);
      const size_t slot = register_cleanup_directory(made);
      if (::mkdirat(parent.get(), part.c_str(), 0777) != 0) {
        const int err = errno;
        unregister_cleanup(slot);
        throw IoError(printable(made) + ": cannot create directory: " + errno_text(err));
      }
      created->emplace_back(made, slot);
      fd = ::openat(parent.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      const int err = errno;
      if (err == ELOOP || err == ENOTDIR)
        throw IoError(printable(join(root, prefix)) +
                      ": is a symbolic link or not a directory, inside the output directory (never followed)");
      throw IoError(printable(join(root, prefix)) + ": cannot open directory: " + errno_text(err));
    }
  }
  return fd;
}

void write_whole(int dir_fd, const std::string& tmp, const std::string& target, const std::vector<uint8_t>& bytes) {
  UniqueFd fd(::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
  if (fd.get() < 0) throw IoError(printable(target) + ": cannot create temporary file: " + errno_text(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t put = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) throw IoError(printable(target) + ": cannot write: " + errno_text(errno));
    done += static_cast<size_t>(put);
  }
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

void check_output_paths(const std::string& root, const std::vector<std::string>& names, bool overwrite) {
  std::set<std::string> files;
  for (const std::string& name : names) {
    if (!is_safe_relative_path(name))
      throw IoError(printable(name) + ": unsafe output name (absolute, or leaving the output directory)");
    if (!files.insert(name).second) throw IoError(printable(join(root, name)) + ": two images would be written to the same file");
  }
  for (const std::string& name : names)
    for (size_t slash = name.find('/'); slash != std::string::npos; slash = name.find('/', slash + 1))
      if (files.count(name.substr(0, slash)))
        throw IoError(printable(name.substr(0, slash)) + ": stored both as a file and as a directory (" +
                      printable(name) + ")");
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) return;  // a missing root: nothing below it exists
  if (!S_ISDIR(st.st_mode)) throw IoError(printable(root) + ": exists and is not a directory");
  std::set<std::string> checked_dirs;  // root-relative directories known to be real directories
  for (const std::string& name : names) {
    for (size_t end = 0; end != std::string::npos;) {
      end = name.find('/', end == 0 ? 0 : end + 1);
      const std::string part = name.substr(0, end);
      if (end != std::string::npos && checked_dirs.count(part)) continue;
      const std::string path = join(root, part);
      if (::lstat(path.c_str(), &st) != 0) break;  // missing: made when writing
      if (S_ISLNK(st.st_mode))
        throw IoError(printable(path) + ": is a symbolic link inside the output directory (never followed)");
      if (end == std::string::npos) {
        if (!S_ISREG(st.st_mode)) throw IoError(printable(path) + ": exists and is not a regular file");
        if (!overwrite) throw IoError(printable(path) + ": already exists (use -f to overwrite)");
      } else {
        if (!S_ISDIR(st.st_mode)) throw IoError(printable(path) + ": exists and is not a directory");
        checked_dirs.insert(part);
      }
    }
  }
}

void write_files_all_or_nothing(const std::string& root, const std::vector<std::string>& names,
                                const std::function<std::vector<uint8_t>(size_t)>& bytes_of, bool overwrite) {
  // Every entry: (path, slot in the signal handlers' registry). Invariant: each path listed
  // here is ours to remove on failure, and registered until this call returns; a temporary
  // renamed into place has an empty path (no longer ours, no longer registered).
  std::vector<std::pair<std::string, size_t>> created_dirs;  // made by us, parents first
  std::vector<std::pair<std::string, size_t>> temps;         // temporaries, in name order
  std::vector<std::pair<std::string, size_t>> placed;        // renamed into a place that was empty
  const auto forget_all = [&] {
    for (auto* list : {&temps, &placed, &created_dirs})
      for (const auto& entry : *list)
        if (!entry.first.empty()) unregister_cleanup(entry.second);
  };
  const auto roll_back = [&] {
    for (const auto& t : temps)
      if (!t.first.empty()) ::unlink(t.first.c_str());
    for (const auto& p : placed) ::unlink(p.first.c_str());
    for (auto it = created_dirs.rbegin(); it != created_dirs.rend(); ++it) ::rmdir(it->first.c_str());
    forget_all();
  };
  try {
    check_output_paths(root, names, overwrite);
    // The root as given (a symbolic link to a directory is fine), with its missing parents.
    std::vector<fs::path> missing;
    for (fs::path dir = fs::path(root); !dir.empty() && !fs::exists(dir); dir = dir.parent_path()) {
      missing.push_back(dir);
      if (dir == dir.root_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      const size_t slot = register_cleanup_directory(it->string());  // before mkdir, as below
      if (::mkdir(it->c_str(), 0777) != 0) {
        const int err = errno;
        unregister_cleanup(slot);
        if (err == EEXIST) continue;  // made meanwhile by someone else: not ours
        throw IoError(printable(it->string()) + ": cannot create directory: " + errno_text(err));
      }
      created_dirs.emplace_back(it->string(), slot);
    }
    UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root_fd.get() < 0) throw IoError(printable(root) + ": cannot open directory: " + errno_text(errno));

    std::set<std::string> swept;  // directories cleared of stale temporaries
    std::vector<std::string> tmp_of(names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      const auto [dir, base] = split_name(names[i]);
      UniqueFd dir_fd(open_directory_below(root_fd.get(), root, dir, &created_dirs));
      if (swept.insert(dir).second) remove_stale_temporaries(join(root, dir.empty() ? "." : dir));
      tmp_of[i] = temporary_name(base);
      const std::vector<uint8_t> bytes = bytes_of(i);
      const std::string tmp_path = join(root, dir.empty() ? tmp_of[i] : dir + "/" + tmp_of[i]);
      temps.emplace_back(tmp_path, register_cleanup_file(tmp_path));
      write_whole(dir_fd.get(), tmp_of[i], join(root, names[i]), bytes);
    }
    for (size_t i = 0; i < names.size(); ++i) {
      const auto [dir, base] = split_name(names[i]);
      const std::string path = join(root, names[i]);
      UniqueFd dir_fd(open_directory_below(root_fd.get(), root, dir, nullptr));
      struct stat st;
      const bool existed = ::fstatat(dir_fd.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
      if (existed && !S_ISREG(st.st_mode)) throw IoError(printable(path) + ": exists and is not a regular file");
      if (existed && !overwrite) throw IoError(printable(path) + ": appeared while decoding (use -f to overwrite)");
      // Registered before the rename, so a signal between the two still removes it.
      if (!existed) placed.emplace_back(path, register_cleanup_file(path));
      if (::renameat(dir_fd.get(), tmp_of[i].c_str(), dir_fd.get(), base.c_str()) != 0) {
        const int err = errno;
        if (!existed) unregister_cleanup(placed.back().second), placed.pop_back();
        throw IoError(printable(path) + ": cannot rename temporary file into place: " + errno_text(err));
      }
      unregister_cleanup(temps[i].second);
      temps[i].first.clear();
    }
  } catch (...) {
    roll_back();
    throw;
  }
  forget_all();
}

void check_output_file(const std::string& path, bool overwrite) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISREG(st.st_mode))
    throw IoError(printable(path) + ": exists and is not a regular file (a device, FIFO, socket, directory or "
                                    "symbolic link is never replaced)");
  if (!overwrite) throw IoError(printable(path) + ": already exists (use -f to overwrite)");
}

void refuse_output_among_inputs(const std::string& out, const std::vector<std::string>& inputs) {
  struct stat o, in;
  if (::stat(out.c_str(), &o) != 0) return;
  for (const std::string& input : inputs)
    if (::stat(input.c_str(), &in) == 0 && in.st_dev == o.st_dev && in.st_ino == o.st_ino)
      throw IoError(printable(out) + ": is also an input (" + printable(input) + "); never overwritten");
}

}  // namespace lbb
