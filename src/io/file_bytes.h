// Whole-file reading, atomic whole-file writing, and gzip (de)compression in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lbb {

// Reads the whole file. Throws InputError("<path>: <problem>") if it is missing, is a
// directory or cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

// Writes `size` bytes to `path` atomically: the bytes go to a fresh temporary file in the
// same directory (".<name>.tmp-<pid>-<k>"), which is flushed to disk and then renamed over
// `path`. On any failure the temporary is removed and IoError("<path>: <problem>") is
// thrown; `path` is then either untouched or (never) partially written. Temporaries of `path`
// that a killed process left (its PID no longer running) are removed first.
void write_file_atomic(const std::string& path, const uint8_t* data, size_t size);
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);

// True if `bytes` starts with the gzip magic 1f 8b.
bool has_gzip_magic(const std::vector<uint8_t>& bytes);

// Decompresses a complete gzip file (one or more members). Truncated or corrupt data, or
// trailing bytes that are not another gzip member, throw InputError("<name>: ...").
std::vector<uint8_t> gunzip_bytes(const std::vector<uint8_t>& gz, const std::string& name);

// Compresses to a single gzip member (zlib level 9).
std::vector<uint8_t> gzip_bytes(const uint8_t* data, size_t size);

}  // namespace lbb
