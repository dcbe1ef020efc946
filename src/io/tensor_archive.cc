#include "io/tensor_archive.h"

#include <cstring>
#include <set>
#include <stdexcept>

#include "common/crc.h"
#include "common/errors.h"
#include "io/file_bytes.h"

namespace lbb {
namespace {

constexpr uint8_t kMagic[4] = {'L', 'B', 'B', 'T'};
constexpr size_t kHeaderSize = 20;

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void string(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }

 private:
  std::vector<uint8_t>& out_;
};

// Bounds-checked little-endian reader over [data, data + size).
class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const std::string& name)
      : data_(data), size_(size), name_(name) {}
  size_t remaining() const { return size_ - pos_; }
  void need(size_t n, const char* what) const {
    if (remaining() < n) {
      throw InputError(name_ + ": corrupt tensor archive (" + what + " runs past the end)");
    }
  }
  uint32_t u32(const char* what) {
    need(4, what);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{data_[pos_ + i]} << (8 * i);
    pos_ += 4;
    return v;
  }
  uint64_t u64(const char* what) {
    need(8, what);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{data_[pos_ + i]} << (8 * i);
    pos_ += 8;
    return v;
  }
  std::string string(const char* what) {
    const uint32_t n = u32(what);
    need(n, what);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  const uint8_t* take(size_t n, const char* what) {
    need(n, what);
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;  // invariant: pos_ <= size_
  const std::string& name_;
};


// FNV-1a, 64-bit.
class Fnv1a64 {
 public:
  void bytes(const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      h_ ^= p[i];
      h_ *= 0x100000001b3ull;
    }
  }
  void u32(uint32_t v) {
    uint8_t b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    bytes(b, 4);
  }
  void u64(uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    bytes(b, 8);
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ull;
};

uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

// Product of `shape` into *numel if all dims are >= 0 and the product is <= max_numel.
bool checked_numel(const std::vector<int64_t>& shape, uint64_t max_numel, uint64_t* numel) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return false;
    if (d == 0) n = 0;
  }
  if (n != 0) {
    for (int64_t d : shape) {
      if (static_cast<uint64_t>(d) > max_numel / n) return false;
      n *= static_cast<uint64_t>(d);
    }
  }
  *numel = n;
  return n <= max_numel;
}

}  // namespace

size_t NamedTensor::numel() const {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

const NamedTensor* TensorArchive::find(const std::string& name) const {
  for (const NamedTensor& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void check_archive(const TensorArchive& archive) {
  std::set<std::string> names;
  for (const auto& [key, value] : archive.meta) {
    if (key.size() > 0xffffffffu || value.size() > 0xffffffffu) {
      throw std::invalid_argument("TensorArchive: metadata entry too long");
    }
  }
  if (archive.meta.size() > 0xffffffffu || archive.tensors.size() > 0xffffffffu) {
    throw std::invalid_argument("TensorArchive: too many entries");
  }
  for (const NamedTensor& t : archive.tensors) {
    if (t.name.empty()) throw std::invalid_argument("TensorArchive: tensor with empty name");
    if (t.name.size() > 0xffffffffu) throw std::invalid_argument("TensorArchive: name too long");
    if (!names.insert(t.name).second) {
      throw std::invalid_argument("TensorArchive: duplicate tensor name '" + t.name + "'");
    }
    if (t.shape.size() > kMaxTensorRank) {
      throw std::invalid_argument("TensorArchive: tensor '" + t.name + "' has rank > 8");
    }
    uint64_t numel = 0;
    if (!checked_numel(t.shape, t.data.size(), &numel) || numel != t.data.size()) {
      throw std::invalid_argument("TensorArchive: tensor '" + t.name +
                                  "' has a negative dim or data size not matching its shape");
    }
  }
}

std::vector<uint8_t> serialize_archive(const TensorArchive& archive) {
  check_archive(archive);
  std::vector<uint8_t> out(kHeaderSize);
  size_t estimate = kHeaderSize + 8;
  for (const NamedTensor& t : archive.tensors) {
    estimate += 8 + t.name.size() + 8 * t.shape.size() + 4 * t.data.size();
  }
  out.reserve(estimate);
  Writer w(out);
  w.u32(static_cast<uint32_t>(archive.meta.size()));
  for (const auto& [key, value] : archive.meta) {
    w.string(key);
    w.string(value);
  }
  w.u32(static_cast<uint32_t>(archive.tensors.size()));
  for (const NamedTensor& t : archive.tensors) {
    w.string(t.name);
    w.u32(static_cast<uint32_t>(t.shape.size()));
    for (int64_t d : t.shape) w.u64(static_cast<uint64_t>(d));
    for (float f : t.data) w.u32(float_bits(f));
  }
  const uint64_t payload_size = out.size() - kHeaderSize;
  const uint32_t crc = crc32(out.data() + kHeaderSize, payload_size);
  std::vector<uint8_t> header;
  header.insert(header.end(), kMagic, kMagic + 4);
  Writer h(header);
  h.u32(kArchiveVersion);
  h.u64(payload_size);
  h.u32(crc);
  std::copy(header.begin(), header.end(), out.begin());
  return out;
}

namespace {

// The header's checks, on its first bytes (`head`, as many as there are up to kHeaderSize) and
// the archive's whole size: throws InputError("<name>: <problem>"); returns the stored CRC.
uint32_t check_archive_head(const uint8_t* head, size_t head_size, uint64_t size, const std::string& name) {
  auto bad = [&](const std::string& problem) { return InputError(printable(name) + ": " + problem); };
  if (head_size < 4 || std::memcmp(head, kMagic, 4) != 0) throw bad("not a tensor archive (bad magic, expected \"LBBT\")");
  if (head_size < kHeaderSize) throw bad("truncated tensor archive (incomplete header)");
  Reader header(head + 4, kHeaderSize - 4, name);
  const uint32_t version = header.u32("version");
  if (version != kArchiveVersion) {
    throw bad("unsupported tensor archive version " + std::to_string(version) +
              " (this build reads version " + std::to_string(kArchiveVersion) + ")");
  }
  const uint64_t payload_size = header.u64("payload size");
  const uint32_t stored_crc = header.u32("crc");
  const uint64_t have = size - kHeaderSize;
  if (have < payload_size) {
    throw bad("truncated tensor archive (header says " + std::to_string(payload_size) +
              " payload bytes, file has " + std::to_string(have) + ")");
  }
  if (have > payload_size) throw bad("trailing data after tensor archive payload");
  if (size > kMaxArchiveBytes)
    throw bad("tensor archive of " + std::to_string(size) + " bytes (at most " + std::to_string(kMaxArchiveBytes) + ")");
  return stored_crc;
}

}  // namespace

TensorArchive parse_archive(const std::vector<uint8_t>& bytes, const std::string& name) {
  auto bad = [&](const std::string& problem) { return InputError(name + ": " + problem); };
  const uint32_t stored_crc = check_archive_head(bytes.data(), bytes.size(), bytes.size(), name);
  const uint64_t payload_size = bytes.size() - kHeaderSize;
  const uint8_t* payload = bytes.data() + kHeaderSize;
  if (crc32(payload, payload_size) != stored_crc) {
    throw bad("corrupt tensor archive (CRC mismatch)");
  }

  Reader r(payload, payload_size, name);
  TensorArchive archive;
  const uint32_t meta_count = r.u32("metadata count");
  std::string previous_key;
  for (uint32_t i = 0; i < meta_count; ++i) {
    std::string key = r.string("metadata key");
    std::string value = r.string("metadata value");
    if (i > 0 && !(previous_key < key)) {
      throw bad("corrupt tensor archive (metadata keys not unique and sorted)");
    }
    previous_key = key;
    archive.meta.emplace(std::move(key), std::move(value));
  }
  const uint32_t tensor_count = r.u32("tensor count");
  // Each tensor takes at least 8 bytes; reject absurd counts before reserving.
  if (tensor_count > r.remaining() / 8) throw bad("corrupt tensor archive (tensor count)");
  archive.tensors.reserve(tensor_count);
  std::set<std::string> names;
  for (uint32_t i = 0; i < tensor_count; ++i) {
    NamedTensor t;
    t.name = r.string("tensor name");
    if (t.name.empty()) throw bad("corrupt tensor archive (tensor with empty name)");
    if (!names.insert(t.name).second) {
      throw bad("corrupt tensor archive (duplicate tensor name '" + t.name + "')");
    }
    const uint32_t rank = r.u32("tensor rank");
    if (rank > kMaxTensorRank) {
      throw bad("corrupt tensor archive (tensor '" + t.name + "' has rank " +
                std::to_string(rank) + ")");
    }
    for (uint32_t k = 0; k < rank; ++k) {
      const uint64_t d = r.u64("tensor shape");
      if (d > static_cast<uint64_t>(INT64_MAX)) {
        throw bad("corrupt tensor archive (tensor '" + t.name + "' has a negative dimension)");
      }
      t.shape.push_back(static_cast<int64_t>(d));
    }
    uint64_t numel = 0;
    if (!checked_numel(t.shape, r.remaining() / 4, &numel)) {
      throw bad("corrupt tensor archive (tensor '" + t.name + "' data runs past the end)");
    }
    const uint8_t* p = r.take(static_cast<size_t>(numel) * 4, "tensor data");
    t.data.resize(static_cast<size_t>(numel));
    for (size_t k = 0; k < t.data.size(); ++k, p += 4) {
      t.data[k] = bits_float(uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
                             uint32_t{p[3]} << 24);
    }
    archive.tensors.push_back(std::move(t));
  }
  if (r.remaining() != 0) throw bad("corrupt tensor archive (unused bytes after last tensor)");
  return archive;
}

void save_archive(const std::string& path, const TensorArchive& archive) {
  write_file_atomic(path, serialize_archive(archive));
}

TensorArchive load_archive(const std::string& path) {
  // The header is judged before the rest is read: a large file that is not an archive, or whose
  // header disagrees with its size, costs kHeaderSize bytes of reading.
  return parse_archive(read_file_bytes(path, kHeaderSize,
                                       [&](const std::vector<uint8_t>& head, uint64_t size) {
                                         check_archive_head(head.data(), head.size(), size, path);
                                       }),
                       path);
}

namespace {

void hash_tensors(Fnv1a64& h, const TensorArchive& archive) {
  h.u64(archive.tensors.size());
  for (const NamedTensor& t : archive.tensors) {
    h.u64(t.name.size());
    h.bytes(reinterpret_cast<const uint8_t*>(t.name.data()), t.name.size());
    h.u64(t.shape.size());
    for (int64_t d : t.shape) h.u64(static_cast<uint64_t>(d));
    for (float f : t.data) h.u32(float_bits(f));
  }
}

}  // namespace

uint64_t archive_weights_hash(const TensorArchive& archive) {
  Fnv1a64 h;
  hash_tensors(h, archive);
  return fmix64(h.value());
}

uint64_t archive_content_hash(const TensorArchive& archive) {
  Fnv1a64 h;
  hash_tensors(h, archive);
  h.u64(archive.meta.size());
  for (const auto& [key, value] : archive.meta) {  // in key order
    h.u64(key.size());
    h.bytes(reinterpret_cast<const uint8_t*>(key.data()), key.size());
    h.u64(value.size());
    h.bytes(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  }
  return fmix64(h.value());
}

}  // namespace lbb
