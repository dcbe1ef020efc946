#include "format/container.h"

#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "io/errors.h"
#include "io/file_bytes.h"

namespace lbb {
namespace {

constexpr uint8_t kMagic[3] = {'L', 'B', 'B'};
constexpr size_t kPrefixBytes = 4;  // magic + version
constexpr size_t kCrcBytes = 4;
constexpr uint64_t kOneBits = 0x3FF0000000000000ull;  // IEEE-754 bits of 1.0
constexpr int kPrecisionFieldBits = 6;                // coding = k | flags << 6
constexpr uint64_t kMaxCoding = (uint64_t{0xFFFFFFFFu} << kPrecisionFieldBits) | kMaxPrecisionBits;

uint32_t crc32_of(const uint8_t* data, size_t size) {
  return static_cast<uint32_t>(crc32_z(crc32_z(0, Z_NULL, 0), data, size));
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint32_t get_u32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

// Unsigned LEB128, shortest form.
void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

std::string hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
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
  // A shortest-form LEB128 value ≤ max.
  uint64_t varint(uint64_t max, const char* what) {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t b = byte();
      if (shift == 63 && b != 0x01) {
        if (b == 0) throw Invalid{std::string("non-canonical varint for ") + what};
        throw Invalid{std::string(what) + " overflows 64 bits"};
      }
      v |= uint64_t{b & 0x7Fu} << shift;
      if (!(b & 0x80)) {
        if (b == 0 && shift > 0) throw Invalid{std::string("non-canonical varint for ") + what};
        break;
      }
    }
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

// n·c·h·w > kMaxSubpixels, without overflow.  Precondition: 1 ≤ c, h, w ≤ kMaxImageSide (so
// c·h·w < 2^48), which subpixels() alone cannot multiply by n < 2^32 safely.
bool too_many_subpixels(const ContainerHeader& h) {
  const uint64_t image = uint64_t{h.c} * h.h * h.w;
  return h.n > kMaxSubpixels / image;
}

struct ParsedHeader {
  ContainerHeader header;
  std::vector<uint32_t> stream_images;
  std::vector<uint64_t> lengths;
  uint32_t images_crc32 = 0;
  size_t end = 0;               // offset of the first stream byte
  uint64_t expected_size = 0;   // end + Σ lengths + CRC, saturated at UINT64_MAX
};

// Everything between the version byte and the payload.  Throws Truncated or Invalid.
ParsedHeader read_header(const uint8_t* data, size_t size) {
  HeaderReader in(data, size, kPrefixBytes);
  ParsedHeader p;
  ContainerHeader& h = p.header;
  h.version = data[3];
  h.model_id = in.u32();
  h.n = static_cast<uint32_t>(in.varint(UINT32_MAX, "image count"));
  h.c = static_cast<uint32_t>(in.varint(UINT32_MAX, "channel count"));
  h.h = static_cast<uint32_t>(in.varint(UINT32_MAX, "height"));
  h.w = static_cast<uint32_t>(in.varint(UINT32_MAX, "width"));
  const auto shape = [&] {
    return std::to_string(h.n) + "x" + std::to_string(h.c) + "x" + std::to_string(h.h) + "x" +
           std::to_string(h.w);
  };
  if (h.c < 1 || h.c > kMaxImageSide || h.h < 1 || h.h > kMaxImageSide || h.w < 1 ||
      h.w > kMaxImageSide) {
    throw Invalid{"absurd dimensions (n x c x h x w = " + shape() + "; c, h, w must be in 1.." +
                  std::to_string(kMaxImageSide) + ")"};
  }
  if (too_many_subpixels(h)) {
    throw Invalid{"absurd dimensions (n x c x h x w = " + shape() + " is more than 2^34 subpixels)"};
  }
  const uint64_t coding = in.varint(kMaxCoding, "coding parameters");
  h.precision_bits = static_cast<uint8_t>(coding & ((1u << kPrecisionFieldBits) - 1));
  h.flags = static_cast<uint32_t>(coding >> kPrecisionFieldBits);
  h.sigma = sigma_from_code(in.varint(UINT64_MAX, "sigma"));
  if (!(std::isfinite(h.sigma) && h.sigma > 0)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", h.sigma);
    throw Invalid{std::string("invalid sigma ") + buf + " (must be finite and positive)"};
  }

  const uint64_t s = in.varint(kMaxStreams, "stream count");
  // Every stream needs at least one length byte: a larger count cannot fit in the rest.
  if (s > in.remaining()) throw Truncated{};
  if (s == 0 && h.n > 0) {
    throw Invalid{"inconsistent sizes (no streams for " + std::to_string(h.n) + " images)"};
  }
  p.stream_images.reserve(s);
  uint64_t left = h.n;  // invariant: images not yet given to a stream
  for (uint64_t i = 0; i + 1 < s; ++i) {
    const uint64_t k = in.varint(UINT32_MAX, "stream image count");
    if (k > left) {
      throw Invalid{"inconsistent sizes (streams 0.." + std::to_string(i) +
                    " hold more images than n = " + std::to_string(h.n) + ")"};
    }
    p.stream_images.push_back(static_cast<uint32_t>(k));
    left -= k;
  }
  if (s > 0) p.stream_images.push_back(static_cast<uint32_t>(left));

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
  put_varint(out, h.n);
  put_varint(out, h.c);
  put_varint(out, h.h);
  put_varint(out, h.w);
  put_varint(out, (uint64_t{h.flags} << kPrecisionFieldBits) | h.precision_bits);
  put_varint(out, sigma_code(h.sigma));
  put_varint(out, c.streams.size());
  for (size_t i = 0; i + 1 < c.stream_images.size(); ++i) put_varint(out, c.stream_images[i]);
  for (const auto& s : c.streams) put_varint(out, s.size());
  put_u32(out, c.images_crc32);
}

uint64_t double_bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

}  // namespace

bool operator==(const Container& a, const Container& b) {
  const ContainerHeader& x = a.header;
  const ContainerHeader& y = b.header;
  return x.version == y.version && x.model_id == y.model_id && x.n == y.n && x.c == y.c &&
         x.h == y.h && x.w == y.w && x.precision_bits == y.precision_bits &&
         double_bits(x.sigma) == double_bits(y.sigma) && x.flags == y.flags &&
         a.streams == b.streams && a.stream_images == b.stream_images &&
         a.images_crc32 == b.images_crc32;
}

uint32_t model_id_of(uint64_t weights_hash) {
  return static_cast<uint32_t>(weights_hash ^ (weights_hash >> 32));
}

uint32_t images_crc32(const uint8_t* pixels, size_t size) { return crc32_of(pixels, size); }

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
  if (h.version != kContainerVersion) bad("version must be " + std::to_string(kContainerVersion));
  if (h.c < 1 || h.c > kMaxImageSide || h.h < 1 || h.h > kMaxImageSide || h.w < 1 ||
      h.w > kMaxImageSide) {
    bad("c, h, w must be in 1.." + std::to_string(kMaxImageSide));
  }
  if (too_many_subpixels(h)) bad("more than 2^34 subpixels");
  if (h.precision_bits > kMaxPrecisionBits) bad("precision_bits must be at most 63");
  if (!(std::isfinite(h.sigma) && h.sigma > 0)) bad("sigma must be finite and positive");
  if (c.streams.size() > kMaxStreams) bad("too many streams");
  if (c.stream_images.size() != c.streams.size()) bad("stream_images.size() != streams.size()");
  uint64_t sum = 0;
  for (uint32_t k : c.stream_images) sum += k;
  if (sum != h.n) bad("stream_images do not sum to n");
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
  put_u32(out, crc32_of(out.data(), out.size()));
  return out;
}

Container parse_container(const uint8_t* data, size_t size, const std::string& name) {
  const auto fail = [&](const std::string& why) -> void { throw InputError(name + ": " + why); };
  if (size == 0) fail("empty file, not an lbb container");
  if (std::memcmp(data, kMagic, std::min<size_t>(size, 3)) != 0) {
    fail("not an lbb file (bad magic)");
  }
  if (size < kPrefixBytes) fail("truncated (file ends inside the header)");
  if (data[3] != kContainerVersion) {
    fail("unsupported lbb container version " + std::to_string(data[3]) +
         " (this build reads version " + std::to_string(kContainerVersion) + ")");
  }
  // Whether the file is intact as a whole.  If it is, a bad field is reported as such; if not,
  // the damage (truncation, trailing bytes, corruption) is what the user needs to hear about.
  const bool crc_ok = size >= kPrefixBytes + kCrcBytes &&
                      crc32_of(data, size - kCrcBytes) == get_u32(data + size - kCrcBytes);
  const auto corrupted = [&]() -> void {
    const uint32_t stored = get_u32(data + size - kCrcBytes);
    const uint32_t computed = crc32_of(data, size - kCrcBytes);
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
    if (crc32_of(data, end - kCrcBytes) == get_u32(data + end - kCrcBytes)) {
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

  Container c;
  c.header = p.header;
  c.stream_images = std::move(p.stream_images);
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

void write_container(const std::string& path, const Container& c) {
  write_file_atomic(path, serialize_container(c));
}

Container read_container(const std::string& path) {
  return parse_container(read_file_bytes(path), path);
}

void check_model(const Container& c, uint64_t weights_hash, const std::string& name) {
  const uint32_t mine = model_id_of(weights_hash);
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

void check_images(const Container& c, const uint8_t* pixels, size_t size, const std::string& name) {
  if (size != c.header.subpixels()) {
    throw InputError(name + ": decoded " + std::to_string(size) + " subpixels, the header says " +
                     std::to_string(c.header.subpixels()));
  }
  const uint32_t crc = images_crc32(pixels, size);
  if (crc != c.images_crc32) {
    throw InputError(name + ": decoded images do not match the compressed ones (CRC-32 " +
                     hex32(crc) + ", stored " + hex32(c.images_crc32) +
                     "; different model, platform or decoder?)");
  }
}

}  // namespace lbb
