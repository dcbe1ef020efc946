// The .lbb container: what a compressed file holds around the rANS message bytes.
//
// A file holds n images of shape c×h×w coded by local bits-back coding with a flow model, split
// over S independent rANS streams (Message::to_bytes byte strings, opaque here).  The container
// stores what the decoder needs before it can start (model identity, shapes, coding parameters,
// stream lengths), a CRC-32 of the decoded pixels (checked after decoding, DESIGN.md §5) and a
// CRC-32 of the whole file.  Byte layout (docs/container_format.md), all little-endian, byte
// by byte, "v" = unsigned LEB128 varint in its shortest form:
//
//   3  magic "LBB"                  | v  S = stream count
//   1  version (kContainerVersion)  | v  image count of streams 0..S-2 (stream S-1: the rest)
//   4  model id (u32)               | v  byte length of streams 0..S-1
//   v  n, c, h, w                   | 4  images CRC-32 (u32)
//   v  coding = k | flags << 6      | ·  the S streams' bytes, concatenated in order
//   v  sigma code (see sigma_code)  | 4  CRC-32 of every byte before it
//
// Fixed overhead for one 28×28 grey image in one stream of 128..16383 bytes, flags ≤ 1,
// σ = 2^-14: 25 bytes (24 if the stream is shorter than 128 bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lbb {

inline constexpr uint8_t kContainerVersion = 2;        // the only version this build reads/writes
                                                       // (2: latent grid [−2^11, 2^11); 1 had [−2^8, 2^8))
inline constexpr uint32_t kMaxImageSide = 65535;        // bound on c, h and w
inline constexpr uint64_t kMaxSubpixels = uint64_t{1} << 34;  // bound on n·c·h·w
inline constexpr uint32_t kMaxStreams = uint32_t{1} << 24;    // bound on S
inline constexpr uint8_t kMaxPrecisionBits = 63;        // k fits the 6 low bits of `coding`

struct ContainerHeader {
  uint8_t version = kContainerVersion;  // invariant: == kContainerVersion
  // Identity of the model weights: model_id_of(archive_weights_hash(weights)).  32 bits are
  // plenty to catch a wrong model file by accident (and the images CRC backs it up).
  uint32_t model_id = 0;
  uint32_t n = 0;  // image count; n = 0 is allowed (then every stream codes 0 images)
  // Image shape; invariant: 1 ≤ c, h, w ≤ kMaxImageSide and n·c·h·w ≤ kMaxSubpixels.
  uint32_t c = 1, h = 1, w = 1;
  uint8_t precision_bits = 32;  // k: coded values live on a 2^-k grid; invariant: k ≤ 63
  double sigma = 1.0 / 16384;   // local bits-back noise σ (exact bits); invariant: finite, > 0
  // Coding options for the caller to define (e.g. direct-coded first images).  The container
  // stores them; callers must reject bits they do not know (check_flags).
  uint32_t flags = 0;

  // D = n·c·h·w.  Precondition: the invariants above hold (else it may overflow).
  uint64_t subpixels() const { return uint64_t{n} * c * h * w; }
};

struct Container {
  ContainerHeader header;
  std::vector<std::vector<uint8_t>> streams;  // S independent rANS message byte strings
  // Images coded in each stream; invariant: same size as streams, sums to header.n.
  std::vector<uint32_t> stream_images;
  uint32_t images_crc32 = 0;  // images_crc32() of all decoded pixels, NCHW order

  friend bool operator==(const Container& a, const Container& b);
};

// Folds a 64-bit weights hash (archive_weights_hash) to the 32-bit id stored in the file.
uint32_t model_id_of(uint64_t weights_hash);

// CRC-32 (IEEE 802.3 / zlib polynomial, as `zlib.crc32` computes it) of uint8 pixels.
uint32_t images_crc32(const uint8_t* pixels, size_t size);

// The sigma code: varint value rotl64(bits(σ) XOR bits(1.0), 12).  A bijection on doubles that
// makes σ = 2^-e (1 ≤ e ≤ 127, e.g. 2^-14 → 14) a one-byte varint.
uint64_t sigma_code(double sigma);
double sigma_from_code(uint64_t code);

// Throws std::invalid_argument if `c` breaks an invariant above (a caller bug).
void check_container(const Container& c);

// The file bytes (after check_container).  serialize_container(parse_container(b)) == b.
std::vector<uint8_t> serialize_container(const Container& c);

// Bytes serialize_container(c) adds to the streams' bytes (header + both CRCs).
size_t container_overhead(const Container& c);

// Parses and validates untrusted bytes.  Throws InputError("<name>: <problem>"), one line:
// not an lbb file (bad magic), unsupported version, truncated, corrupted (CRC mismatch),
// trailing garbage, inconsistent sizes, absurd dimensions, invalid parameters.
Container parse_container(const uint8_t* data, size_t size, const std::string& name);
Container parse_container(const std::vector<uint8_t>& bytes, const std::string& name);

// Writes atomically (temporary + rename; nothing is left behind on failure).  Throws
// std::invalid_argument for an invalid container (before touching the file system) and
// IoError("<path>: ...") if the file cannot be written.
void write_container(const std::string& path, const Container& c);

// read_file_bytes + parse_container; throws InputError("<path>: ...").
Container read_container(const std::string& path);

// Throws InputError("<name>: compressed with another model (model id X, this model is Y)")
// unless the container was made with the weights whose archive_weights_hash is `weights_hash`.
void check_model(const Container& c, uint64_t weights_hash, const std::string& name);

// Throws InputError("<name>: uses coding options this build does not know (flags ...)") if
// header.flags has a bit outside `known_flags`.
void check_flags(const Container& c, uint32_t known_flags, const std::string& name);

// Checks decoded pixels (n·c·h·w bytes, NCHW) against the stored CRC; throws InputError
// "<name>: decoded images do not match ..." on a size or CRC mismatch.
void check_images(const Container& c, const uint8_t* pixels, size_t size, const std::string& name);

}  // namespace lbb
