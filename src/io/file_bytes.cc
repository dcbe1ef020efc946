#include "io/file_bytes.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>

#include "common/errors.h"
#include "io/unique_fd.h"
#include "io/temp_files.h"

namespace lbb {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::strerror(err); }

// zlib counts in uInt; feed it at most this many bytes at a time.
constexpr size_t kZlibChunk = size_t{1} << 30;

// Appends to `bytes` what `fd` holds, up to EOF or until `bytes` holds `stop_at` bytes;
// the buffer starts at `first_size` and doubles. Holding more than `max_bytes` throws
// InputError("<name>: <too_large>"), so at most max_bytes + 1 bytes are ever read.
void read_until(int fd, std::vector<uint8_t>& bytes, size_t first_size, uint64_t stop_at, uint64_t max_bytes,
                const std::string& name, const std::string& too_large) {
  size_t used = bytes.size();  // invariant: bytes [0, used) hold data read; used <= bytes.size()
  const uint64_t cap = std::min(stop_at, max_bytes + 1);
  while (used < cap) {
    if (used == bytes.size())
      bytes.resize(static_cast<size_t>(std::min<uint64_t>(std::max<size_t>({first_size, 65536, used * 2}), cap)));
    const ssize_t got = ::read(fd, bytes.data() + used, bytes.size() - used);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw InputError(printable(name) + ": cannot read: " + errno_text(errno));
    }
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  bytes.resize(used);
  if (used > max_bytes) throw InputError(printable(name) + ": " + too_large);
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path) { return read_file_bytes(path, 0, nullptr); }

std::vector<uint8_t> read_file_bytes(const std::string& path, size_t head_bytes,
                                     const std::function<void(const std::vector<uint8_t>&, uint64_t)>& check_head) {
  // O_NONBLOCK: opening a FIFO never waits for a writer (it is refused below, unread).
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw InputError(printable(path) + ": cannot open: " + errno_text(errno));
  UniqueFd closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw InputError(printable(path) + ": cannot access: " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) throw InputError(printable(path) + ": is a directory, expected a file");
  if (!S_ISREG(st.st_mode))
    throw InputError(printable(path) + ": not a regular file (a device, FIFO or socket; use - for stdin)");
  const std::string too_large =
      "file is larger than " + std::to_string(kMaxInputFileBytes) + " bytes, the most lbb reads";
  if (static_cast<uint64_t>(st.st_size) > kMaxInputFileBytes) throw InputError(printable(path) + ": " + too_large);
  std::vector<uint8_t> bytes;
  if (check_head) {
    read_until(fd, bytes, head_bytes, head_bytes, kMaxInputFileBytes, path, too_large);
    check_head(bytes, static_cast<uint64_t>(st.st_size));
  }
  // One byte more than its size lets the loop see EOF without growing the buffer.
  read_until(fd, bytes, static_cast<size_t>(st.st_size) + 1, UINT64_MAX, kMaxInputFileBytes, path, too_large);
  return bytes;
}

std::vector<uint8_t> read_stdin_bytes(const std::function<void(const std::vector<uint8_t>&)>& check_head) {
  const std::string too_large = "standard input holds more than " + std::to_string(kMaxStdinBytes) +
                                " bytes, the most lbb reads from it";
  std::vector<uint8_t> bytes;
  read_until(STDIN_FILENO, bytes, kStdinHeadBytes, kStdinHeadBytes, kMaxStdinBytes, "-", too_large);
  check_head(bytes);
  read_until(STDIN_FILENO, bytes, 0, UINT64_MAX, kMaxStdinBytes, "-", too_large);
  return bytes;
}

void write_file_atomic(const std::string& path, const uint8_t* data, size_t size) {
  const fs::path target(path);
  const std::string base = target.filename().string();
  if (base.empty() || base == "." || base == "..") throw IoError(printable(path) + ": cannot write: not a file name");
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  // A device, FIFO, socket, directory or symbolic link in the target's place is never replaced.
  const auto non_regular = [&] {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
  };
  const char* const kNotRegular = "exists and is not a regular file (never replaced)";
  if (non_regular()) throw IoError(printable(path) + ": " + kNotRegular);
  remove_stale_temporaries(dir.string());

  std::string tmp;
  int fd = -1;
  size_t slot = 0;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = (dir / temporary_name(base)).string();
    slot = register_cleanup_file(tmp);  // before it exists: a signal never leaves it behind
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
      const int err = errno;
      unregister_cleanup(slot);
      if (err != EEXIST || attempt >= 100)
        throw IoError(printable(path) + ": cannot create temporary file: " + errno_text(err));
    }
  }
  UniqueFd closer(fd);
  const auto fail = [&](const std::string& what, int err) {
    closer.close_now();
    ::unlink(tmp.c_str());
    unregister_cleanup(slot);
    throw IoError(printable(path) + ": " + what + (err != 0 ? ": " + errno_text(err) : ""));
  };

  size_t done = 0;
  while (done < size) {
    const size_t want = std::min<size_t>(size - done, size_t{1} << 30);
    const ssize_t put = ::write(fd, data + done, want);
    if (put < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", errno);
    }
    done += static_cast<size_t>(put);
  }
  if (::fsync(fd) != 0) fail("cannot flush", errno);
  if (int err = closer.close_now(); err != 0) fail("cannot close", err);
  if (non_regular()) fail(kNotRegular, 0);  // again: something may have taken its place meanwhile
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename temporary file into place", errno);
  unregister_cleanup(slot);
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_atomic(path, bytes.data(), bytes.size());
}

void write_stdout_bytes(const std::vector<uint8_t>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t put = ::write(STDOUT_FILENO, bytes.data() + done, std::min<size_t>(bytes.size() - done, size_t{1} << 30));
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) throw IoError(std::string("-: cannot write to standard output: ") + errno_text(errno));
    done += static_cast<size_t>(put);
  }
}

bool has_gzip_magic(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

std::vector<uint8_t> gunzip_bytes(const std::vector<uint8_t>& gz, const std::string& name,
                                  const std::function<uint64_t(const std::vector<uint8_t>&, size_t)>& max_size) {
  if (!has_gzip_magic(gz)) throw InputError(printable(name) + ": not a gzip file");
  std::vector<uint8_t> out;
  uint64_t limit = UINT64_MAX;  // the most `out` may hold, once max_size knows it
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw InputError(printable(name) + ": zlib init failed");
  struct Ender {
    z_stream* zs;
    ~Ender() { inflateEnd(zs); }
  } ender{&zs};

  size_t in_pos = 0;  // invariant: bytes of `gz` handed to zlib and consumed so far
  size_t used = 0;    // invariant: bytes of `out` that hold decompressed data
  // Asks max_size until it knows the limit; throws once the output is past it.
  const auto check_limit = [&] {
    if (limit == UINT64_MAX && max_size) {
      limit = max_size(out, used);
      if (limit != UINT64_MAX) {
        if (limit > kMaxGzipRatio * gz.size() + 4096)
          throw InputError(printable(name) + ": declares " + std::to_string(limit) + " bytes, more than " +
                           std::to_string(gz.size()) + " bytes of gzip data can hold (a bomb, or truncated)");
        out.reserve(static_cast<size_t>(limit) + 1);
      }
    }
    if (used > limit)
      throw InputError(printable(name) + ": gzip data inflates to more than the " + std::to_string(limit) +
                       " bytes its contents declare");
  };
  for (;;) {
    if (zs.avail_in == 0) {
      const size_t take = std::min(gz.size() - in_pos, kZlibChunk);
      zs.next_in = const_cast<Bytef*>(gz.data() + in_pos);
      zs.avail_in = static_cast<uInt>(take);
      in_pos += take;
    }
    if (out.size() - used < 65536) {
      // Double, but never past one byte beyond the limit (enough to see it exceeded).
      const uint64_t cap = limit == UINT64_MAX ? UINT64_MAX : limit + 1;
      out.resize(static_cast<size_t>(std::min<uint64_t>(std::max(used + 65536, used * 2), cap)));
    }
    const size_t room = std::min(out.size() - used, kZlibChunk);
    zs.next_out = out.data() + used;
    zs.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    used += room - zs.avail_out;
    check_limit();
    if (rc == Z_STREAM_END) {
      const size_t consumed = in_pos - zs.avail_in;
      if (consumed == gz.size()) break;
      // Another member may follow (as `cat a.gz b.gz` makes); anything else is garbage.
      if (gz.size() - consumed < 2 || gz[consumed] != 0x1f || gz[consumed + 1] != 0x8b) {
        throw InputError(printable(name) + ": trailing data after gzip stream");
      }
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_pos == gz.size()) {
      throw InputError(printable(name) + ": truncated gzip data");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw InputError(printable(name) + ": corrupt gzip data (" + (zs.msg ? zs.msg : "zlib error") + ")");
    }
  }
  out.resize(used);
  return out;
}

std::vector<uint8_t> gzip_bytes(const uint8_t* data, size_t size) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::bad_alloc();
  }
  struct Ender {
    z_stream* zs;
    ~Ender() { deflateEnd(zs); }
  } ender{&zs};
  std::vector<uint8_t> out(std::max<size_t>(64, size / 2 + 64));
  size_t in_pos = 0, used = 0;
  for (;;) {
    if (zs.avail_in == 0 && in_pos < size) {
      const size_t take = std::min(size - in_pos, kZlibChunk);
      zs.next_in = const_cast<Bytef*>(data + in_pos);
      zs.avail_in = static_cast<uInt>(take);
      in_pos += take;
    }
    if (out.size() - used < 65536) out.resize(out.size() * 2 + 65536);
    const size_t room = std::min(out.size() - used, kZlibChunk);
    zs.next_out = out.data() + used;
    zs.avail_out = static_cast<uInt>(room);
    const int flush = (in_pos == size && zs.avail_in == 0) ? Z_FINISH : Z_NO_FLUSH;
    const int rc = deflate(&zs, flush);
    used += room - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("gzip_bytes: deflate failed");
  }
  out.resize(used);
  return out;
}

}  // namespace lbb
