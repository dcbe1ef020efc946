// Temporary files of atomic writes: their names, the removal of those a killed process left,
// and a process-wide registry that SIGINT, SIGTERM and SIGHUP clean up before the process dies.
//
// A temporary for the target DIR/NAME is DIR/.NAME.tmp-PID-K (NAME cut to 200 bytes, PID the
// writer's process id, K a counter). The registry holds paths to unlink (temporaries, and
// outputs renamed into places that were empty, until the whole set is in place) and
// directories to remove if still empty; the first registration installs the handlers, which
// unlink and rmdir what is registered and then re-raise the signal with its default action.
#pragma once

#include <cstddef>
#include <string>

namespace lbb {

// The next temporary name for `file_name` (no slashes) in this process: ".NAME.tmp-PID-K".
std::string temporary_name(const std::string& file_name);

// Removes, in `dir`, the regular files named ".X.tmp-PID-K" (K digits) whose PID is no
// running process (left by a kill -9 or a power loss). A live process's files are kept.
void remove_stale_temporaries(const std::string& dir);

// Registers a path for the signal handlers: a file to unlink, or a directory to rmdir (only
// if empty; directories go after every file, the last registered first). Returns its slot.
// Throws IoError when more than kMaxRegistered paths are registered at once.
constexpr size_t kMaxRegistered = size_t{1} << 20;
size_t register_cleanup_file(const std::string& path);
size_t register_cleanup_directory(const std::string& path);

// Forgets a slot (the file was renamed into place for good, or removed by its owner).
void unregister_cleanup(size_t slot);

}  // namespace lbb
