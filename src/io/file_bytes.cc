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
#include <limits>

#include "common/errors.h"

namespace lbb {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::strerror(err); }

// Closes a file descriptor on scope exit unless released.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  // Closes now; returns 0 or the errno of close().
  int close_now() {
    int err = 0;
    if (fd_ >= 0 && ::close(fd_) != 0) err = errno;
    fd_ = -1;
    return err;
  }

 private:
  int fd_;
};

// Removes the temporaries "." + stem + ".tmp-PID-N" in `dir` that a process killed while it wrote
// (kill -9, power loss) left behind: only names of that exact form, for this very target, whose
// PID is no running process. Files of a live process (or a reused PID) are left alone.
void remove_stale_temporaries(const fs::path& dir, const std::string& stem) {
  const std::string prefix = "." + stem + ".tmp-";
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || dash + 1 == rest.size() ||
        rest.find_first_not_of("0123456789-") != std::string::npos || rest.find('-', dash + 1) != std::string::npos)
      continue;
    const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    if (it->is_regular_file(rm)) fs::remove(it->path(), rm);
  }
}

// zlib counts in uInt; feed it at most this many bytes at a time.
constexpr size_t kZlibChunk = size_t{1} << 30;

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw InputError(path + ": is a directory, expected a file");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path + ": cannot open: " + errno_text(errno));
  FdCloser closer(fd);
  std::vector<uint8_t> bytes;
  struct stat st;
  // For a regular file, one byte more than its size lets the read loop see EOF without
  // growing the buffer; other files (pipes, /proc) grow by doubling.
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    bytes.resize(static_cast<size_t>(st.st_size) + 1);
  }
  size_t used = 0;  // invariant: used <= bytes.size(); bytes [0, used) hold file data
  for (;;) {
    if (used == bytes.size()) bytes.resize(std::max<size_t>(65536, used * 2));
    ssize_t got = ::read(fd, bytes.data() + used, bytes.size() - used);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw InputError(path + ": cannot read: " + errno_text(errno));
    }
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  bytes.resize(used);
  return bytes;
}

void write_file_atomic(const std::string& path, const uint8_t* data, size_t size) {
  static std::atomic<uint64_t> counter{0};
  const fs::path target(path);
  const std::string base = target.filename().string();
  if (base.empty() || base == "." || base == "..") {
    throw IoError(path + ": cannot write: not a file name");
  }
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  // Keep the temporary's name within NAME_MAX even for long target names.
  const std::string stem = base.substr(0, 200);
  remove_stale_temporaries(dir, stem);

  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = (dir / ("." + stem + ".tmp-" + std::to_string(::getpid()) + "-" +
                  std::to_string(counter.fetch_add(1))))
              .string();
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt >= 100)) {
      throw IoError(path + ": cannot create temporary file: " + errno_text(errno));
    }
  }
  FdCloser closer(fd);
  auto fail = [&](const std::string& what, int err) {
    closer.close_now();
    ::unlink(tmp.c_str());
    throw IoError(path + ": " + what + ": " + errno_text(err));
  };

  size_t done = 0;
  while (done < size) {
    const size_t want = std::min<size_t>(size - done, size_t{1} << 30);
    ssize_t put = ::write(fd, data + done, want);
    if (put < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", errno);
    }
    done += static_cast<size_t>(put);
  }
  if (::fsync(fd) != 0) fail("cannot flush", errno);
  if (int err = closer.close_now(); err != 0) {
    ::unlink(tmp.c_str());
    throw IoError(path + ": cannot close: " + errno_text(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw IoError(path + ": cannot rename temporary file into place: " + errno_text(err));
  }
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_atomic(path, bytes.data(), bytes.size());
}

bool has_gzip_magic(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

std::vector<uint8_t> gunzip_bytes(const std::vector<uint8_t>& gz, const std::string& name) {
  if (!has_gzip_magic(gz)) throw InputError(name + ": not a gzip file");
  std::vector<uint8_t> out;
  // ISIZE (last 4 bytes) is the uncompressed size mod 2^32 of the last member: a hint only.
  if (gz.size() >= 18) {
    const size_t n = gz.size();
    const uint32_t isize = uint32_t(gz[n - 4]) | uint32_t(gz[n - 3]) << 8 |
                           uint32_t(gz[n - 2]) << 16 | uint32_t(gz[n - 1]) << 24;
    // Deflate expands at most ~1032:1, so a larger claim is garbage (e.g. a truncated file).
    out.reserve(std::min<size_t>({isize, gz.size() * 1032, size_t{1} << 30}));
  }

  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw InputError(name + ": zlib init failed");
  struct Ender {
    z_stream* zs;
    ~Ender() { inflateEnd(zs); }
  } ender{&zs};

  size_t in_pos = 0;  // invariant: bytes of `gz` handed to zlib and consumed so far
  size_t used = 0;    // invariant: bytes of `out` that hold decompressed data
  for (;;) {
    if (zs.avail_in == 0) {
      const size_t take = std::min(gz.size() - in_pos, kZlibChunk);
      zs.next_in = const_cast<Bytef*>(gz.data() + in_pos);
      zs.avail_in = static_cast<uInt>(take);
      in_pos += take;
    }
    if (out.size() - used < 65536) {
      // Double, but stay within a reserved hint so a correct ISIZE means no reallocation.
      out.resize(std::min(std::max(used + 65536, used * 2),
                          std::max(out.capacity(), used + 65536)));
    }
    const size_t room = std::min(out.size() - used, kZlibChunk);
    zs.next_out = out.data() + used;
    zs.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    used += room - zs.avail_out;
    if (rc == Z_STREAM_END) {
      const size_t consumed = in_pos - zs.avail_in;
      if (consumed == gz.size()) break;
      // Another member may follow (as `cat a.gz b.gz` makes); anything else is garbage.
      if (gz.size() - consumed < 2 || gz[consumed] != 0x1f || gz[consumed + 1] != 0x8b) {
        throw InputError(name + ": trailing data after gzip stream");
      }
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_pos == gz.size()) {
      throw InputError(name + ": truncated gzip data");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw InputError(name + ": corrupt gzip data (" + (zs.msg ? zs.msg : "zlib error") + ")");
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
