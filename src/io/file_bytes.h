// Whole-file reading, atomic whole-file writing, and gzip (de)compression in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace lbb {

// The largest file lbb reads whole (4 GiB), checked against its size before reading.
constexpr uint64_t kMaxInputFileBytes = uint64_t{1} << 32;
// The most lbb reads from standard input (1 GiB + 64 KiB: one largest image as a PNM and more).
constexpr uint64_t kMaxStdinBytes = (uint64_t{1} << 30) + (uint64_t{1} << 16);
// Bytes of standard input read and checked before the rest (read_stdin_bytes).
constexpr size_t kStdinHeadBytes = 64;
// Deflate expands at most ~1032:1; a gzip or PNG stream that claims more than this ratio
// (plus a few KiB) is a bomb or truncated.
constexpr uint64_t kMaxGzipRatio = 1040;

// Reads the whole regular file. Throws InputError("<path>: <problem>") if it is missing, is a
// directory, is not a regular file (a FIFO is never waited on: it is opened non-blocking and
// refused unread), is larger than kMaxInputFileBytes or cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);
// The same, handing the first `head_bytes` bytes (or all, if fewer) and the file's size to
// `check_head` before the rest is read (it throws to stop there).
std::vector<uint8_t> read_file_bytes(const std::string& path, size_t head_bytes,
                                     const std::function<void(const std::vector<uint8_t>&, uint64_t)>& check_head);

// Reads standard input to EOF: the first kStdinHeadBytes bytes (or all, if fewer) are handed
// to `check_head`, which throws to stop before the rest is read; more than kMaxStdinBytes
// throws InputError("-: ...").
std::vector<uint8_t> read_stdin_bytes(const std::function<void(const std::vector<uint8_t>&)>& check_head);

// Writes `size` bytes to `path` atomically: the bytes go to a fresh temporary file in the
// same directory (".<name>.tmp-<pid>-<k>", temp_files.h; registered for the signal handlers),
// which is flushed to disk and then renamed over `path`. A `path` that exists and is not a
// regular file (device, FIFO, socket, directory, symbolic link) is refused, before and again
// just before the rename. On any failure the temporary is removed and IoError("<path>:
// <problem>") is thrown; `path` is then untouched. Stale temporaries of killed processes in
// the directory are removed first (remove_stale_temporaries).
void write_file_atomic(const std::string& path, const uint8_t* data, size_t size);
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);

// Writes all of `bytes` to standard output; IoError("-: cannot write to standard output: ...").
void write_stdout_bytes(const std::vector<uint8_t>& bytes);

// True if `bytes` starts with the gzip magic 1f 8b.
bool has_gzip_magic(const std::vector<uint8_t>& bytes);

// Decompresses a complete gzip file (one or more members). Truncated or corrupt data, or
// trailing bytes that are not another gzip member, throw InputError("<name>: ...").
// `max_size`, if given, is asked (with the output so far and its length) until it returns the
// most bytes the output may hold instead of UINT64_MAX (e.g. once a header is complete): a
// claim beyond kMaxGzipRatio times the input, or output beyond it, throws at once.
std::vector<uint8_t> gunzip_bytes(
    const std::vector<uint8_t>& gz, const std::string& name,
    const std::function<uint64_t(const std::vector<uint8_t>&, size_t)>& max_size = nullptr);

// Compresses to a single gzip member (zlib level 9).
std::vector<uint8_t> gzip_bytes(const uint8_t* data, size_t size);

}  // namespace lbb
