// The .lbb container: what a compressed file holds around the rANS message bytes.
//
// A file holds a list of images (each with its own name, file type, layout and size; an IDX
// input is one entry of `count` same-sized images), cut into tiles, coded over S independent
// rANS streams (Message::to_bytes byte strings, opaque here; each tile's coder flag is coded
// inside its stream, src/coding).  The container stores what the decoder needs before it can
// start, a CRC-32 of the decoded pixels (checked after decoding, DESIGN.md §5) and a CRC-32 of
// the whole file.  Byte layout (docs/container_format.md), little-endian, byte by byte,
// "v" = unsigned LEB128 varint in its shortest form:
//
//   3  magic "LBB"                  | per image entry:
//   1  version (kContainerVersion)  |   v bytes shared with the previous entry's name
//   4  model id (u32)               |   v length of the rest, the rest (UTF-8 relative path)
//   v  coding = k | flags << 6      |   1 kind: 1 = same fields as the previous entry, or 0 and:
//   v  sigma code (see sigma_code)  |     1 format (ImageFormat) | v channels (1..4)
//   v  M = image entry count        |     v h, w, count | v tile_h, tile_w, tile_channels
//                                   |     v alpha_tile_h, alpha_tile_w (only if channels is even)
//                                   |     1 flow (1: full colour tiles may be flow-coded)
//   v  S = stream count  | v tiles of streams 0..S-2 | v byte length of streams 0..S-1
//   4  images CRC-32 | the S streams' bytes | 4 CRC-32 of every byte before it
// The writer always shares the longest prefix and uses kind 1 whenever it can; the reader
// rejects anything else, so serialize(parse(b)) == b.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lbb {

// The version this build writes, and the oldest it reads.  9 identifies the model by its whole
// file (configuration and weights; kContentModelIdVersion) and codes as 8.  What the earlier
// versions change is in how tiles are coded (src/coding/compression.h): 8 adds the predictive coder
// (model/predictive_image_model.h) beside the adaptive one of 4–7, and a stream's colour tiles
// that the flow does not code take the cheaper of the two; 7 alternates each layer's pops and pushes in
// runs of 64 elements (kCodingRun, src/coding/flow_coder.h); 6 codes each actnorm together with the 1×1
// convolution after it (one linear map, src/coding/flow_coder.h); 5 evaluates the networks with fused
// multiply-adds (det_fused_kernels.h), where 4 and 3 rounded each product; 4 carries the adaptive coder's state from tile
// to tile and predicts a tile's edges from its decoded neighbours; 3 coded every tile alone;
// 2 (one image shape per file) and 1 are no longer read.
inline constexpr uint8_t kContainerVersion = 9;
// From this version the model id covers the whole model file (archive_content_hash: its
// configuration and weights); before it, the weights alone (archive_weights_hash).
inline constexpr uint8_t kContentModelIdVersion = 9;
inline constexpr uint8_t kOldestContainerVersion = 3;
inline constexpr uint32_t kMaxImageSide = 1u << 20;    // bound on h and w
inline constexpr uint32_t kMaxChannels = 4;            // grey, grey+alpha, RGB, RGBA
inline constexpr uint64_t kMaxSubpixels = uint64_t{1} << 34;  // bound on Σ count·channels·h·w
inline constexpr uint32_t kMaxStreams = uint32_t{1} << 24;    // bound on S
inline constexpr uint32_t kMaxNameBytes = 4096;        // bound on one image name
inline constexpr uint8_t kMaxPrecisionBits = 63;       // k fits the 6 low bits of `coding`
inline constexpr uint32_t kMaxTileSide = 256;         // bound on tile sides (a tile's decoding memory)
// Declared sizes a file of B bytes may have (checked before anything is allocated): at most
// 2^13·B + 2^22 subpixels and 8·B + 2^12 tiles (every tile costs at least its flag and a few
// bits).  Files that code more than 2^13 subpixels per byte (near-constant images) are padded
// by the encoder with empty streams, so every file it writes decodes.
inline constexpr uint64_t kSubpixelsPerByte = uint64_t{1} << 13;
inline constexpr uint64_t kSubpixelSlack = uint64_t{1} << 22;
inline constexpr uint64_t kTilesPerByte = 8;
inline constexpr uint64_t kTileSlack = uint64_t{1} << 12;

// One input file's images, as the decoder must restore them.
struct ContainerImage {
  std::string name;    // relative path ("photos/cat.png"); invariant: 1..kMaxNameBytes bytes
  uint8_t format = 0;  // ImageFormat of io/images.h (0 PNG, 1 PNM, 2 IDX); invariant: ≤ 2
  uint32_t channels = 1;  // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (alpha plane last)
  uint32_t h = 1, w = 1;  // invariant: 1 ≤ h, w ≤ kMaxImageSide
  uint32_t count = 1;     // images of this shape (IDX); invariant: ≥ 1
  // Colour planes are cut into tiles of tile_channels × tile_h × tile_w (right and bottom edge
  // tiles smaller); invariant: 1 ≤ tile_h ≤ h, 1 ≤ tile_w ≤ w, tile_channels divides the
  // colour plane count (channels with the alpha plane removed).
  uint32_t tile_h = 1, tile_w = 1, tile_channels = 1;
  // The alpha plane (channels 2 and 4 only) into tiles of alpha_tile_h × alpha_tile_w;
  // invariant as for tile_h, tile_w; 0 when there is no alpha plane.
  uint32_t alpha_tile_h = 0, alpha_tile_w = 0;
  bool flow = false;  // whether full-size colour tiles may be coded by the flow
  // If not empty: the image's colours, P × colour_channels() bytes (colour by colour), and its
  // colour planes are coded as one plane of indices into them; invariant: 1 ≤ P ≤ 256.
  std::vector<uint8_t> palette;

  bool has_alpha() const { return channels == 2 || channels == 4; }
  uint32_t colour_channels() const { return has_alpha() ? channels - 1 : channels; }
  uint32_t palette_size() const { return static_cast<uint32_t>(palette.size() / colour_channels()); }
  // Planes the colour tiles cover: the colour planes, or the one plane of palette indices.
  uint32_t coded_colour_planes() const { return palette.empty() ? colour_channels() : 1; }
  uint32_t coded_planes() const { return coded_colour_planes() + (has_alpha() ? 1 : 0); }
  uint64_t subpixels() const { return uint64_t{count} * channels * h * w; }
  // Tiles of one image: colour tiles, then alpha tiles.  Precondition: invariants hold.
  uint64_t colour_tiles_per_image() const;
  uint64_t tiles_per_image() const;
  uint64_t tiles() const { return count * tiles_per_image(); }
  friend bool operator==(const ContainerImage& a, const ContainerImage& b);
};

struct ContainerHeader {
  uint8_t version = kContainerVersion;  // invariant: kOldestContainerVersion ≤ version ≤ kContainerVersion
  // Identity of the model: model_id_for(version, its hashes).  32 bits are plenty to catch a
  // wrong model file by accident (and the images CRC backs it up).
  uint32_t model_id = 0;
  uint8_t precision_bits = 32;  // k: coded values live on a 2^-k grid; invariant: k ≤ 63
  double sigma = 1.0 / 16384;   // local bits-back noise σ (exact bits); invariant: finite, > 0
  // Coding options for the caller to define.  The container stores them; callers must reject
  // bits they do not know (check_flags).
  uint32_t flags = 0;
};

struct Container {
  ContainerHeader header;
  std::vector<ContainerImage> images;          // in coding order
  std::vector<std::vector<uint8_t>> streams;   // S independent rANS message byte strings
  // Tiles coded in each stream, consecutive in the global tile order (images in order; each
  // image's colour tiles in raster order of tile rows, then its alpha tiles).  Invariant:
  // same size as streams, sums to total_tiles().
  std::vector<uint64_t> stream_tiles;
  uint32_t images_crc32 = 0;  // crc32() (common/crc.h) of all decoded pixels, entries in order

  uint64_t total_tiles() const;
  uint64_t total_subpixels() const;
  friend bool operator==(const Container& a, const Container& b);
};

// Folds a 64-bit hash to the 32-bit id stored in the file.
uint32_t model_id_of(uint64_t hash);
// The model id a file of `version` stores for a model file whose archive_weights_hash and
// archive_content_hash are these: the content's from kContentModelIdVersion, else the weights'.
uint32_t model_id_for(uint8_t version, uint64_t weights_hash, uint64_t content_hash);


// The sigma code: varint value rotl64(bits(σ) XOR bits(1.0), 12).  A bijection on doubles that
// makes σ = 2^-e (1 ≤ e ≤ 127, e.g. 2^-14 → 14) a one-byte varint.
uint64_t sigma_code(double sigma);
double sigma_from_code(uint64_t code);

// Throws std::invalid_argument if `c` breaks an invariant above (a caller bug), including the
// size bounds for its own serialized length.
void check_container(const Container& c);

// The bytes serialize_container(c) would write (without checking c's bounds).  Precondition:
// c.stream_tiles.size() == c.streams.size().
uint64_t container_file_size(const Container& c);

// The file bytes (after check_container).  serialize_container(parse_container(b)) == b.
std::vector<uint8_t> serialize_container(const Container& c);

// Bytes serialize_container(c) adds to the streams' bytes (header + both CRCs).
size_t container_overhead(const Container& c);

// Parses and validates untrusted bytes.  Throws InputError("<name>: <problem>"), one line:
// not an lbb file (bad magic), unsupported version, truncated, corrupted (CRC mismatch),
// trailing garbage, inconsistent sizes, absurd dimensions, invalid parameters.  Allocates
// only in proportion to `size`.
Container parse_container(const uint8_t* data, size_t size, const std::string& name);
Container parse_container(const std::vector<uint8_t>& bytes, const std::string& name);

// (Reading and writing .lbb files: io/container_file.h.)

// Throws InputError("<name>: compressed with another model (model id X, this model is Y)")
// unless the container was made with the model of these hashes (model_id_for).
void check_model(const Container& c, uint64_t weights_hash, uint64_t content_hash, const std::string& name);

// Throws InputError("<name>: uses coding options this build does not know (flags ...)") if
// header.flags has a bit outside `known_flags`.
void check_flags(const Container& c, uint32_t known_flags, const std::string& name);

// Checks the CRC of all decoded pixels (entries in order) against the stored one; throws
// InputError "<name>: decoded images do not match ..." on a mismatch.
void check_images_crc(const Container& c, uint32_t crc, const std::string& name);

// "%08x".
std::string hex32(uint32_t v);

}  // namespace lbb
