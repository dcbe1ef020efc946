#include "format/container.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "common/assert.h"
#include "common/crc.h"
#include "common/errors.h"
#include "common/varint.h"

namespace lbb {
namespace {

constexpr uint8_t kMagic[3] = {'L', 'B', 'B'};
constexpr size_t kPrefixBytes = 4;  // magic + version
constexpr size_t kCrcBytes = 4;
constexpr uint64_t kOneBits = 0x3FF0000000000000ull;  // IEEE-754 bits of 1.0
constexpr int kPrecisionFieldBits = 6;                // coding = k | flags << 6
constexpr uint64_t kMaxCoding = (uint64_t{0xFFFFFFFFu} << kPrecisionFieldBits) | kMaxPrecisionBits;

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint32_t get_u32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

// Header parsing outcomes other than success.  Which message the user sees depends on whether
// the file's CRC holds (see parse_container), so the reader only classifies.
struct Truncated {};  // the header runs past the end of the bytes
struct Invalid {      // a field holds an impossible value
  std::string why;
};

class HeaderReader {
 public:
  HeaderReader(const uint8_t* data, size_t size, size_t pos) : data_(data), size_(size), pos_(pos) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  uint8_t byte() {
    if (pos_ >= size_) throw Truncated{};
    return data_[pos_++];
  }
  uint32_t u32() {
    if (remaining() < 4) throw Truncated{};
    const uint32_t v = get_u32(data_ + pos_);
    pos_ += 4;
    return v;
  }
  // A shortest-form LEB128 value ≤ max (common/varint.h).
  uint64_t varint(uint64_t max, const char* what) {
    uint64_t v = 0;
    switch (get_varint(data_, size_, &pos_, &v)) {
      case VarintStatus::kOk: break;
      case VarintStatus::kTruncated: throw Truncated{};
      case VarintStatus::kNonCanonical: throw Invalid{std::string("non-canonical varint for ") + what};
      case VarintStatus::kOverflow:
      case VarintStatus::kTooLong: throw Invalid{std::string(what) + " overflows 64 bits"};
    }
    LBB_ASSERT(pos_ <= size_);
    if (v > max) {
      throw Invalid{std::string("absurd ") + what + " " + std::to_string(v) + " (at most " +
                    std::to_string(max) + ")"};
    }
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_;  // invariant: pos_ <= size_
};


uint64_t saturating_add(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }
uint64_t saturating_mul(uint64_t a, uint64_t b) { return a != 0 && b > UINT64_MAX / a ? UINT64_MAX : a * b; }

uint64_t tile_grid(uint32_t h, uint32_t w, uint32_t th, uint32_t tw) {
  return uint64_t{(h + th - 1) / th} * ((w + tw - 1) / tw);
}

size_t common_prefix(const std::string& a, const std::string& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

// Everything but the name equal (an entry of kind 1 repeats these fields).
bool same_fields(const ContainerImage& a, const ContainerImage& b) {
  ContainerImage x = a;
  x.name = b.name;
  return x == b;
}

// Why `e` breaks an invariant of ContainerImage, or "" if it holds none.
std::string image_problem(const ContainerImage& e) {
  if (e.name.empty() || e.name.size() > kMaxNameBytes) return "name of 0 or more than 4096 bytes";
  if (e.format > 2) return "unknown image format " + std::to_string(e.format);
  if (e.channels < 1 || e.channels > kMaxChannels) return "channel count " + std::to_string(e.channels);
  if (e.h < 1 || e.h > kMaxImageSide || e.w < 1 || e.w > kMaxImageSide)
    return "absurd dimensions " + std::to_string(e.w) + "x" + std::to_string(e.h);
  if (e.count < 1) return "image count 0";
  if (e.tile_h < 1 || e.tile_h > e.h || e.tile_w < 1 || e.tile_w > e.w)
    return "tile size " + std::to_string(e.tile_w) + "x" + std::to_string(e.tile_h) + " outside the image";
  if (e.tile_h > kMaxTileSide || e.tile_w > kMaxTileSide || e.alpha_tile_h > kMaxTileSide ||
      e.alpha_tile_w > kMaxTileSide)
    return "tiles larger than " + std::to_string(kMaxTileSide) + "x" + std::to_string(kMaxTileSide);
  if (!e.palette.empty() && (e.palette.size() % e.colour_channels() != 0 || e.palette_size() > 256))
    return "palette of " + std::to_string(e.palette.size()) + " bytes";
  if (e.tile_channels < 1 || e.coded_colour_planes() % e.tile_channels != 0)
    return "tile channel count " + std::to_string(e.tile_channels);
  if (e.has_alpha() ? (e.alpha_tile_h < 1 || e.alpha_tile_h > e.h || e.alpha_tile_w < 1 || e.alpha_tile_w > e.w)
                    : (e.alpha_tile_h != 0 || e.alpha_tile_w != 0))
    return "alpha tile size " + std::to_string(e.alpha_tile_w) + "x" + std::to_string(e.alpha_tile_h);
  return "";
}

struct ParsedHeader {
  ContainerHeader header;
  std::vector<ContainerImage> images;
  std::vector<uint64_t> stream_tiles;
  std::vector<uint64_t> lengths;
  uint32_t images_crc32 = 0;
  size_t end = 0;               // offset of the first stream byte
  uint64_t expected_size = 0;   // end + Σ lengths + CRC, saturated at UINT64_MAX
  // The first size bound (subpixels or tiles for a file of `size` bytes) the images break, or
  // "".  Reported only once the file is known to be whole: cutting a file lowers its bound, so a
  // truncated file must be reported as truncated, not as absurd (or, its CRC failing, corrupted).
  std::string too_large;
};

// Everything between the version byte and the payload.  Throws Truncated or Invalid.  Every
// count is checked against the bytes left (and the size bounds) before it sizes a vector.
ParsedHeader read_header(const uint8_t* data, size_t size) {
  HeaderReader in(data, size, kPrefixBytes);
  ParsedHeader p;
  ContainerHeader& h = p.header;
  h.version = data[3];
  h.model_id = in.u32();
  const uint64_t coding = in.varint(kMaxCoding, "coding parameters");
  h.precision_bits = static_cast<uint8_t>(coding & ((1u << kPrecisionFieldBits) - 1));
  h.flags = static_cast<uint32_t>(coding >> kPrecisionFieldBits);
  h.sigma = sigma_from_code(in.varint(UINT64_MAX, "sigma"));
  if (!(std::isfinite(h.sigma) && h.sigma > 0)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", h.sigma);
    throw Invalid{std::string("invalid sigma ") + buf + " (must be finite and positive)"};
  }
  const uint64_t max_subpixels = std::min(kMaxSubpixels, kSubpixelsPerByte * size + kSubpixelSlack);
  const uint64_t max_tiles = kTilesPerByte * size + kTileSlack;

  // Each entry takes at least 3 bytes: a larger count cannot fit in the rest.
  const uint64_t m = in.varint(UINT32_MAX, "image entry count");
  if (m > in.remaining() / 3) throw Truncated{};
  p.images.reserve(m);
  uint64_t subpixels = 0, tiles = 0;
  for (uint64_t i = 0; i < m; ++i) {
    ContainerImage e;
    // Name: the bytes it shares with the previous entry's name, then the rest (front coding).
    const std::string& prev = i > 0 ? p.images.back().name : std::string();
    const uint64_t shared = in.varint(prev.size(), "shared name prefix");
    const uint64_t len = in.varint(kMaxNameBytes - shared, "name length");
    if (len > in.remaining()) throw Truncated{};
    e.name.assign(prev, 0, shared);
    for (uint64_t k = 0; k < len; ++k) e.name.push_back(static_cast<char>(in.byte()));
    if (shared != common_prefix(e.name, prev))
      throw Invalid{"non-canonical name prefix of image " + std::to_string(i)};
    const uint8_t kind = in.byte();
    if (kind > 1 || (kind == 1 && i == 0))
      throw Invalid{"invalid entry kind " + std::to_string(kind) + " of image " + std::to_string(i)};
    if (kind == 1) {  // same shape, layout, tiles and flow flag as the previous entry
      const std::string name = std::move(e.name);
      e = p.images.back();
      e.name = name;
    } else {
      e.format = in.byte();
      e.channels = static_cast<uint32_t>(in.varint(kMaxChannels, "channel count"));
      const uint64_t colours = in.varint(256, "palette size");
      const uint64_t palette_bytes = colours * (e.has_alpha() ? e.channels - 1 : std::max<uint32_t>(e.channels, 1));
      if (palette_bytes > in.remaining()) throw Truncated{};
      for (uint64_t k = 0; k < palette_bytes; ++k) e.palette.push_back(in.byte());
      e.h = static_cast<uint32_t>(in.varint(kMaxImageSide, "height"));
      e.w = static_cast<uint32_t>(in.varint(kMaxImageSide, "width"));
      e.count = static_cast<uint32_t>(in.varint(UINT32_MAX, "image count"));
      e.tile_h = static_cast<uint32_t>(in.varint(kMaxImageSide, "tile height"));
      e.tile_w = static_cast<uint32_t>(in.varint(kMaxImageSide, "tile width"));
      e.tile_channels = static_cast<uint32_t>(in.varint(kMaxChannels, "tile channels"));
      if (e.has_alpha()) {
        e.alpha_tile_h = static_cast<uint32_t>(in.varint(kMaxImageSide, "alpha tile height"));
        e.alpha_tile_w = static_cast<uint32_t>(in.varint(kMaxImageSide, "alpha tile width"));
      }
      const uint8_t flow = in.byte();
      if (flow > 1) throw Invalid{"invalid flow flag " + std::to_string(flow) + " of image " + std::to_string(i)};
      e.flow = flow == 1;
      if (i > 0 && same_fields(e, p.images.back()))
        throw Invalid{"non-canonical entry kind of image " + std::to_string(i)};
    }
    const std::string problem = image_problem(e);
    if (!problem.empty()) throw Invalid{"image " + std::to_string(i) + ": " + problem};
    // c·h·w ≤ 2^42 and count < 2^32: compare by division so nothing overflows (while no bound
    // is broken, subpixels ≤ max_subpixels and tiles ≤ max_tiles; after that, both saturate).
    const uint64_t per_image = uint64_t{e.channels} * e.h * e.w;
    const uint64_t t = e.tiles_per_image();  // ≤ per_image
    if (p.too_large.empty()) {
      if (e.count > (max_subpixels - subpixels) / per_image) {
        p.too_large = "absurd dimensions (more than " + std::to_string(max_subpixels) +
                      " subpixels for a file of " + std::to_string(size) + " bytes)";
      } else if (e.count > (max_tiles - tiles) / t) {
        p.too_large = "absurd tile count (more than " + std::to_string(max_tiles) + " tiles for a file of " +
                      std::to_string(size) + " bytes)";
      }
    }
    subpixels = saturating_add(subpixels, saturating_mul(e.count, per_image));
    tiles = saturating_add(tiles, saturating_mul(e.count, t));
    p.images.push_back(std::move(e));
  }

  const uint64_t s = in.varint(kMaxStreams, "stream count");
  // Every stream needs at least one length byte: a larger count cannot fit in the rest.
  if (s > in.remaining()) throw Truncated{};
  if (s == 0 && tiles > 0) throw Invalid{"inconsistent sizes (no streams for " + std::to_string(tiles) + " tiles)"};
  p.stream_tiles.reserve(s);
  uint64_t left = tiles;  // invariant: tiles not yet given to a stream
  for (uint64_t i = 0; i + 1 < s; ++i) {
    const uint64_t k = in.varint(UINT64_MAX, "stream tile count");
    if (k > left) {
      throw Invalid{"inconsistent sizes (streams 0.." + std::to_string(i) + " hold more tiles than the " +
                    std::to_string(tiles) + " the images have)"};
    }
    p.stream_tiles.push_back(k);
    left -= k;
  }
  if (s > 0) p.stream_tiles.push_back(left);

  p.lengths.reserve(s);
  for (uint64_t i = 0; i < s; ++i) p.lengths.push_back(in.varint(UINT64_MAX, "stream length"));
  p.images_crc32 = in.u32();
  p.end = in.pos();

  uint64_t total = p.end + kCrcBytes;
  for (uint64_t len : p.lengths) total = len > UINT64_MAX - total ? UINT64_MAX : total + len;
  p.expected_size = total;
  return p;
}

void write_header(std::vector<uint8_t>& out, const Container& c) {
  const ContainerHeader& h = c.header;
  out.insert(out.end(), kMagic, kMagic + 3);
  out.push_back(h.version);
  put_u32(out, h.model_id);
  put_varint(out, (uint64_t{h.flags} << kPrecisionFieldBits) | h.precision_bits);
  put_varint(out, sigma_code(h.sigma));
  put_varint(out, c.images.size());
  for (size_t i = 0; i < c.images.size(); ++i) {
    const ContainerImage& e = c.images[i];
    const std::string& prev = i > 0 ? c.images[i - 1].name : std::string();
    const size_t shared = common_prefix(e.name, prev);
    put_varint(out, shared);
    put_varint(out, e.name.size() - shared);
    out.insert(out.end(), e.name.begin() + static_cast<std::ptrdiff_t>(shared), e.name.end());
    if (i > 0 && same_fields(e, c.images[i - 1])) {
      out.push_back(1);
      continue;
    }
    out.push_back(0);
    out.push_back(e.format);
    put_varint(out, e.channels);
    put_varint(out, e.palette.empty() ? 0 : e.palette_size());
    out.insert(out.end(), e.palette.begin(), e.palette.end());
    put_varint(out, e.h);
    put_varint(out, e.w);
    put_varint(out, e.count);
    put_varint(out, e.tile_h);
    put_varint(out, e.tile_w);
    put_varint(out, e.tile_channels);
    if (e.has_alpha()) {
      put_varint(out, e.alpha_tile_h);
      put_varint(out, e.alpha_tile_w);
    }
    out.push_back(e.flow ? 1 : 0);
  }
  put_varint(out, c.streams.size());
  for (size_t i = 0; i + 1 < c.stream_tiles.size(); ++i) put_varint(out, c.stream_tiles[i]);
  for (const auto& s : c.streams) put_varint(out, s.size());
  put_u32(out, c.images_crc32);
}

// The bytes write_header writes for `c`.  Precondition: c.stream_tiles.size() == c.streams.size().
uint64_t header_size(const Container& c) {
  std::vector<uint8_t> header;
  write_header(header, c);
  return header.size();
}

uint64_t double_bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

}  // namespace

uint64_t ContainerImage::colour_tiles_per_image() const {
  return uint64_t{coded_colour_planes() / tile_channels} * tile_grid(h, w, tile_h, tile_w);
}

uint64_t ContainerImage::tiles_per_image() const {
  return colour_tiles_per_image() + (has_alpha() ? tile_grid(h, w, alpha_tile_h, alpha_tile_w) : 0);
}

bool operator==(const ContainerImage& a, const ContainerImage& b) {
  return a.name == b.name && a.format == b.format && a.channels == b.channels && a.h == b.h && a.w == b.w &&
         a.count == b.count && a.tile_h == b.tile_h && a.tile_w == b.tile_w &&
         a.tile_channels == b.tile_channels && a.alpha_tile_h == b.alpha_tile_h &&
         a.alpha_tile_w == b.alpha_tile_w && a.flow == b.flow && a.palette == b.palette;
}

uint64_t Container::total_tiles() const {
  uint64_t t = 0;
  for (const ContainerImage& e : images) t += e.tiles();
  return t;
}

uint64_t Container::total_subpixels() const {
  uint64_t t = 0;
  for (const ContainerImage& e : images) t += e.subpixels();
  return t;
}

bool operator==(const Container& a, const Container& b) {
  const ContainerHeader& x = a.header;
  const ContainerHeader& y = b.header;
  return x.version == y.version && x.model_id == y.model_id && x.precision_bits == y.precision_bits &&
         double_bits(x.sigma) == double_bits(y.sigma) && x.flags == y.flags && a.images == b.images &&
         a.streams == b.streams && a.stream_tiles == b.stream_tiles && a.images_crc32 == b.images_crc32;
}

std::string hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

uint32_t model_id_of(uint64_t hash) { return static_cast<uint32_t>(hash ^ (hash >> 32)); }

uint32_t model_id_for(uint8_t version, uint64_t weights_hash, uint64_t content_hash) {
  return model_id_of(version >= kContentModelIdVersion ? content_hash : weights_hash);
}



uint64_t sigma_code(double sigma) {
  const uint64_t x = double_bits(sigma) ^ kOneBits;
  return (x << 12) | (x >> 52);
}

double sigma_from_code(uint64_t code) {
  const uint64_t bits = ((code >> 12) | (code << 52)) ^ kOneBits;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

void check_container(const Container& c) {
  const ContainerHeader& h = c.header;
  const auto bad = [](const std::string& why) { throw std::invalid_argument("container: " + why); };
  if (h.version < kOldestContainerVersion || h.version > kContainerVersion)
    bad("version must be " + std::to_string(kOldestContainerVersion) + ".." + std::to_string(kContainerVersion));
  if (h.precision_bits > kMaxPrecisionBits) bad("precision_bits must be at most 63");
  if (!(std::isfinite(h.sigma) && h.sigma > 0)) bad("sigma must be finite and positive");
  if (c.images.size() > UINT32_MAX) bad("more than 2^32-1 image entries");
  uint64_t subpixels = 0, tiles = 0;
  for (const ContainerImage& e : c.images) {
    const std::string problem = image_problem(e);
    if (!problem.empty()) bad(e.name + ": " + problem);
    // By division: count·c·h·w may exceed 2^64 (count < 2^32, c·h·w ≤ 2^42).  Then tiles ≤
    // subpixels ≤ 2^34, so nothing below overflows.
    const uint64_t per_image = uint64_t{e.channels} * e.h * e.w;
    if (e.count > (kMaxSubpixels - subpixels) / per_image) bad("more than 2^34 subpixels");
    subpixels += e.subpixels();
    tiles += e.tiles();
  }
  if (c.streams.size() > kMaxStreams) bad("too many streams");
  if (c.stream_tiles.size() != c.streams.size()) bad("stream_tiles.size() != streams.size()");
  if (c.streams.empty() && tiles > 0) bad("no streams");
  uint64_t sum = 0, bytes = 0;  // invariant: sum ≤ tiles
  for (uint64_t k : c.stream_tiles) {
    if (k > tiles - sum) bad("stream_tiles sum to more than the tile count");  // (no wrap-around)
    sum += k;
  }
  if (sum != tiles) bad("stream_tiles do not sum to the tile count");
  for (const auto& s : c.streams) bytes += s.size();
  // The decoder's size bounds, for the exact length of the file (as parse_container applies them).
  const uint64_t file_size = header_size(c) + bytes + kCrcBytes;
  if (subpixels > kSubpixelsPerByte * file_size + kSubpixelSlack || tiles > kTilesPerByte * file_size + kTileSlack)
    bad("more subpixels or tiles than a file of this size may declare");
}

uint64_t container_file_size(const Container& c) {
  uint64_t bytes = header_size(c) + kCrcBytes;
  for (const auto& s : c.streams) bytes += s.size();
  return bytes;
}

size_t container_overhead(const Container& c) {
  check_container(c);
  std::vector<uint8_t> header;
  write_header(header, c);
  return header.size() + kCrcBytes;
}

std::vector<uint8_t> serialize_container(const Container& c) {
  check_container(c);
  std::vector<uint8_t> out;
  size_t payload = 0;
  for (const auto& s : c.streams) payload += s.size();
  out.reserve(64 + 10 * c.streams.size() + payload);
  write_header(out, c);
  for (const auto& s : c.streams) out.insert(out.end(), s.begin(), s.end());
  put_u32(out, crc32(out.data(), out.size()));
  return out;
}

Container parse_container(const uint8_t* data, size_t size, const std::string& name) {
  const auto fail = [&](const std::string& why) -> void { throw InputError(name + ": " + why); };
  if (size == 0) fail("empty file, not an lbb container");
  if (std::memcmp(data, kMagic, std::min<size_t>(size, 3)) != 0) {
    fail("not an lbb file (bad magic)");
  }
  if (size < kPrefixBytes) fail("truncated (file ends inside the header)");
  if (data[3] < kOldestContainerVersion || data[3] > kContainerVersion) {
    fail("unsupported lbb container version " + std::to_string(data[3]) + " (this build reads versions " +
         std::to_string(kOldestContainerVersion) + " to " + std::to_string(kContainerVersion) + ")");
  }
  // Whether the file is intact as a whole.  If it is, a bad field is reported as such; if not,
  // the damage (truncation, trailing bytes, corruption) is what the user needs to hear about.
  const bool crc_ok = size >= kPrefixBytes + kCrcBytes &&
                      crc32(data, size - kCrcBytes) == get_u32(data + size - kCrcBytes);
  const auto corrupted = [&]() -> void {
    const uint32_t stored = get_u32(data + size - kCrcBytes);
    const uint32_t computed = crc32(data, size - kCrcBytes);
    fail("corrupted (CRC-32 mismatch: stored " + hex32(stored) + ", computed " + hex32(computed) +
         ")");
  };

  ParsedHeader p;
  try {
    p = read_header(data, size);
  } catch (const Truncated&) {
    fail("truncated (file ends inside the header)");
  } catch (const Invalid& e) {
    if (!crc_ok) corrupted();
    fail(e.why);
  }
  if (p.expected_size > size) {
    fail("truncated (file has " + std::to_string(size) + " bytes, its header declares " +
         (p.expected_size == UINT64_MAX ? std::string("more than 2^64")
                                        : std::to_string(p.expected_size)) +
         ")");
  }
  if (p.expected_size < size) {
    const size_t end = static_cast<size_t>(p.expected_size);
    if (crc32(data, end - kCrcBytes) == get_u32(data + end - kCrcBytes)) {
      fail("trailing garbage (" + std::to_string(size - end) +
           " bytes after the end of the container)");
    }
    if (crc_ok) {
      fail("inconsistent sizes (stream lengths add up to " + std::to_string(end) +
           " bytes, the file has " + std::to_string(size) + ")");
    }
    corrupted();
  }
  if (!crc_ok) corrupted();
  if (!p.too_large.empty()) fail(p.too_large);

  Container c;
  c.header = p.header;
  c.images = std::move(p.images);
  c.stream_tiles = std::move(p.stream_tiles);
  c.images_crc32 = p.images_crc32;
  c.streams.reserve(p.lengths.size());
  size_t pos = p.end;  // invariant: pos + Σ remaining lengths + CRC == size
  for (uint64_t len : p.lengths) {
    c.streams.emplace_back(data + pos, data + pos + len);
    pos += static_cast<size_t>(len);
  }
  return c;
}

Container parse_container(const std::vector<uint8_t>& bytes, const std::string& name) {
  return parse_container(bytes.data(), bytes.size(), name);
}


void check_model(const Container& c, uint64_t weights_hash, uint64_t content_hash, const std::string& name) {
  const uint32_t mine = model_id_for(c.header.version, weights_hash, content_hash);
  if (c.header.model_id != mine) {
    throw InputError(name + ": compressed with another model (model id " +
                     hex32(c.header.model_id) + ", this model is " + hex32(mine) + ")");
  }
}

void check_flags(const Container& c, uint32_t known_flags, const std::string& name) {
  if ((c.header.flags & ~known_flags) != 0) {
    throw InputError(name + ": uses coding options this build does not know (flags " +
                     hex32(c.header.flags) + ", known " + hex32(known_flags) + ")");
  }
}

void check_images_crc(const Container& c, uint32_t crc, const std::string& name) {
  if (crc != c.images_crc32) {
    throw InputError(name + ": decoded images do not match the compressed ones (CRC-32 " + hex32(crc) +
                     ", stored " + hex32(c.images_crc32) + "; different model, platform or decoder?)");
  }
}

}  // namespace lbb
