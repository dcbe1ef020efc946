// Writing a set of output files all or nothing (lbb decompress): nothing that exists is
// deleted, an existing file is replaced only when asked, and on any failure every file and
// directory this call created is removed again.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace lbb {

// Whether `name` is a relative path that stays below the directory it is joined to: not
// empty, not absolute, no empty, "." or ".." components, no NUL byte.
bool is_safe_relative_path(const std::string& name);

// Throws IoError("<path>: ...") unless every path can be created: no duplicates, no path that
// exists (unless `overwrite`, and then only as a regular file), no parent that exists as
// something other than a directory.
void check_output_paths(const std::vector<std::string>& paths, bool overwrite);

// Writes file i with the bytes bytes_of(i) (called once per file, in order): creates missing
// parent directories, writes every file to a temporary beside its target, then renames them
// all into place.  On any failure (an exception from bytes_of included) the temporaries,
// the files already renamed into places that were empty and the directories it created are
// removed, and the exception is rethrown (file system errors as IoError).
void write_files_all_or_nothing(const std::vector<std::string>& paths,
                                const std::function<std::vector<uint8_t>(size_t)>& bytes_of, bool overwrite);

}  // namespace lbb
