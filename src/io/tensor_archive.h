// Tensor archive: named float32 tensors plus string metadata in one versioned, checksummed
// file. Used for model files and training checkpoints.
//
// File format, version 1 (all integers little-endian, written byte by byte):
//   offset 0   4 bytes   magic "LBBT"
//   offset 4   u32       format version (kArchiveVersion)
//   offset 8   u64       payload size P; the file is exactly 20 + P bytes
//   offset 16  u32       CRC-32 (zlib crc32) of the payload
//   offset 20  payload:
//     u32 M; M times: u32 key length, key bytes, u32 value length, value bytes
//                     (keys unique, in increasing byte order)
//     u32 T; T times: u32 name length, name bytes, u32 rank r (<= kMaxTensorRank),
//                     r x i64 dims (>= 0), numel x f32 (IEEE-754 bits)
//   The payload must be consumed exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lbb {

constexpr uint32_t kArchiveVersion = 1;
constexpr uint32_t kMaxTensorRank = 8;
// The largest archive read (1 GiB; the shipped models are 9 to 18 MB).
constexpr uint64_t kMaxArchiveBytes = uint64_t{1} << 30;

struct NamedTensor {
  std::string name;  // invariant: non-empty, unique within its archive
  // invariant: shape.size() <= kMaxTensorRank, every dim >= 0; rank 0 is a scalar.
  std::vector<int64_t> shape;
  std::vector<float> data;  // row-major; invariant: data.size() == product of shape

  // Product of shape (1 for a scalar). Precondition: no overflow (checked by the loader).
  size_t numel() const;
};

struct TensorArchive {
  std::map<std::string, std::string> meta;  // free-form metadata (config, step, ...)
  std::vector<NamedTensor> tensors;         // order is preserved and enters the hash

  // The tensor called `name`, or nullptr.
  const NamedTensor* find(const std::string& name) const;
};

// Throws std::invalid_argument if `archive` breaks an invariant above.
void check_archive(const TensorArchive& archive);

// The file bytes of `archive` (after check_archive).
std::vector<uint8_t> serialize_archive(const TensorArchive& archive);

// Parses and validates file bytes; throws InputError("<name>: <problem>") on bad magic,
// unknown version, size mismatch, CRC mismatch, bad shapes, duplicate names, etc.
TensorArchive parse_archive(const std::vector<uint8_t>& bytes, const std::string& name);

// Writes atomically (temporary + rename). Throws IoError on write failure.
void save_archive(const std::string& path, const TensorArchive& archive);

// Reads and validates `path`, its header (magic, version, declared size against the file's
// size and kMaxArchiveBytes) before the rest; throws InputError("<path>: <problem>").
TensorArchive load_archive(const std::string& path);

// 64-bit model identity: FNV-1a over a canonical byte string (tensor count, then for each
// tensor in order its name, rank, dims and the float32 bit patterns, all little-endian
// with 64-bit lengths), followed by the murmur3 fmix64 finalizer. Metadata is excluded.
// Platform-independent.
uint64_t archive_weights_hash(const TensorArchive& archive);
// The whole archive's identity: the same bytes as archive_weights_hash, then the metadata
// count and each key and value in key order (64-bit lengths), then fmix64. Two model files
// have the same content hash only if they hold the same configuration and weights.
uint64_t archive_content_hash(const TensorArchive& archive);

}  // namespace lbb
