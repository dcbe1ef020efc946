// Writing a set of output files all or nothing (lbb decompress): nothing that exists is
// deleted, an existing file is replaced only when asked, nothing below the output directory
// is a symbolic link that gets followed, and on any failure (or SIGINT, SIGTERM, SIGHUP) every
// file and directory this call created is removed again.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace lbb {

// Whether `name` is a relative path that stays below the directory it is joined to: not
// empty, not absolute, no empty, "." or ".." components, no NUL byte.
bool is_safe_relative_path(const std::string& name);

// Throws IoError("<path>: ...") unless every root/name can be created: names safe relative
// paths, no duplicates, no name that is also another's directory ("a" and "a/b.png"); `root`
// (which may be a symbolic link) a directory or missing; below it, no symbolic link and no
// parent that exists as something other than a directory; no target that exists (unless
// `overwrite`, and then only as a regular file).
void check_output_paths(const std::string& root, const std::vector<std::string>& names, bool overwrite);

// Writes root/names[i] with the bytes bytes_of(i) (called once per file, in order): checks as
// check_output_paths, creates `root` and missing directories below it, writes every file to a
// temporary beside its target (temp_files.h), then renames them all into place. Directories
// below `root` are opened without following symbolic links (one found is an error). Stale
// temporaries of killed processes are removed from every directory written into. On any
// failure (an exception from bytes_of included) the temporaries, the files already renamed
// into places that were empty and the directories it created are removed, and the exception
// is rethrown (file system errors as IoError); SIGINT, SIGTERM and SIGHUP remove the same.
void write_files_all_or_nothing(const std::string& root, const std::vector<std::string>& names,
                                const std::function<std::vector<uint8_t>(size_t)>& bytes_of, bool overwrite);

// Throws IoError("<path>: ...") unless `path` may be written as one output file: missing, or
// (with `overwrite`) a regular file; never a device, FIFO, socket, directory or symbolic link.
void check_output_file(const std::string& path, bool overwrite);

// Throws IoError("<out>: ...") if `out` exists and is the same file (device and inode) as one
// of `inputs` (followed through links; inputs that do not exist are skipped).
void refuse_output_among_inputs(const std::string& out, const std::vector<std::string>& inputs);

}  // namespace lbb
