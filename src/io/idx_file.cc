// IDX (the MNIST container) decoding/encoding for unsigned-byte image arrays.
//
// Layout: 2 zero bytes, element type (0x08 = unsigned byte), number of dimensions d,
// d big-endian uint32 sizes, then the elements in row-major order.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "common/errors.h"
#include "io/file_bytes.h"
#include "io/image_files.h"

namespace lbb {
namespace {

const char* idx_type_name(uint8_t type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return nullptr;
  }
}

uint32_t read_be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

void append_be32(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

}  // namespace

ImageSet decode_idx(const std::vector<uint8_t>& bytes, const std::string& name,
                    uint64_t max_images) {
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0) {
    throw InputError(name + ": not an IDX file");
  }
  const uint8_t type = bytes[2];
  const uint8_t dims = bytes[3];
  if (type != 0x08) {
    const char* type_name = idx_type_name(type);
    if (type_name == nullptr) throw InputError(name + ": not an IDX file (unknown element type)");
    throw InputError(name + ": IDX element type " + type_name +
                     " not supported (unsigned byte only)");
  }
  if (dims != 3 && dims != 4) {
    throw InputError(name + ": IDX array has " + std::to_string(dims) +
                     " dimension(s), expected images [n,h,w] or [n,h,w,c]" +
                     (dims == 1 ? " (is this a labels file?)" : ""));
  }
  const size_t header = 4 + 4 * size_t{dims};
  if (bytes.size() < header) throw InputError(name + ": truncated IDX header");
  const uint32_t n = read_be32(&bytes[4]);
  const uint32_t h = read_be32(&bytes[8]);
  const uint32_t w = read_be32(&bytes[12]);
  const uint32_t c = dims == 4 ? read_be32(&bytes[16]) : 1;
  if (dims == 4 && c != 1 && c != 3) {
    throw InputError(name + ": IDX [n,h,w,c] with c = " + std::to_string(c) +
                     " not supported (c must be 1 or 3, channels last)");
  }
  if (h == 0 || w == 0) throw InputError(name + ": IDX images have zero height or width");
  if (n == 0) throw InputError(name + ": IDX file contains no images");
  const uint64_t per_image = uint64_t{c} * h * w;
  if (per_image > kMaxImageSamples) throw InputError(name + ": IDX images are too large");
  const uint64_t expected = per_image * n;  // < 2^62: no overflow
  const uint64_t have = bytes.size() - header;
  if (have < expected) {
    throw InputError(name + ": truncated IDX file (header says " + std::to_string(n) +
                     " images of " + std::to_string(per_image) + " bytes, found " +
                     std::to_string(have) + " bytes of data)");
  }
  if (have > expected) throw InputError(name + ": trailing data after IDX array");

  const uint32_t keep = static_cast<uint32_t>(std::min<uint64_t>(n, max_images));
  ImageSet set;
  set.n = keep;
  set.c = c;
  set.h = h;
  set.w = w;
  set.pixels.resize(keep * per_image);
  const uint8_t* src = bytes.data() + header;
  if (c == 1) {
    std::copy(src, src + keep * per_image, set.pixels.begin());
  } else {
    const size_t plane = size_t{h} * w;
    for (uint32_t i = 0; i < keep; ++i) {
      const uint8_t* in = src + i * per_image;
      uint8_t* out = set.pixels.data() + i * per_image;
      for (size_t p = 0; p < plane; ++p) {
        for (uint32_t k = 0; k < c; ++k) out[k * plane + p] = in[p * c + k];
      }
    }
  }
  set.names.reserve(keep);
  for (uint32_t i = 0; i < keep; ++i) set.names.push_back(name + "#" + std::to_string(i));
  return set;
}

std::vector<uint8_t> gunzip_idx(const std::vector<uint8_t>& gz, const std::string& name) {
  // The most the output may hold: header + data as the header declares, known once it is in.
  const auto declared = [&name](const std::vector<uint8_t>& out, size_t used) -> uint64_t {
    if (used < 4) return UINT64_MAX;
    if (out[0] != 0 || out[1] != 0) throw InputError(printable(name) + ": gzip file does not contain an IDX array");
    const std::vector<uint8_t> head(out.begin(), out.begin() + static_cast<ptrdiff_t>(std::min<size_t>(used, 20)));
    const uint8_t dims = out[3];
    if (out[2] != 0x08 || (dims != 3 && dims != 4)) decode_idx(head, name);  // throws its own message
    const size_t header = 4 + 4 * size_t{dims};
    if (used < header) return UINT64_MAX;
    const uint64_t n = read_be32(&out[4]), h = read_be32(&out[8]), w = read_be32(&out[12]);
    const uint64_t c = dims == 4 ? read_be32(&out[16]) : 1;
    if (n == 0 || h == 0 || w == 0 || (c != 1 && c != 3) || c * h * w > kMaxImageSamples)
      decode_idx(head, name);  // throws its own message about the header
    return header + n * c * h * w;
  };
  std::vector<uint8_t> raw = gunzip_bytes(gz, name, declared);
  if (raw.size() < 4) throw InputError(printable(name) + ": gzip file does not contain an IDX array");
  return raw;
}

std::vector<uint8_t> encode_idx(const ImageSet& set) {
  check_image_set(set);
  if (set.n == 0) throw std::invalid_argument("encode_idx: empty image set");
  std::vector<uint8_t> out;
  out.reserve(20 + set.pixels.size());
  out.push_back(0);
  out.push_back(0);
  out.push_back(0x08);
  out.push_back(set.c == 1 ? 3 : 4);
  append_be32(out, set.n);
  append_be32(out, set.h);
  append_be32(out, set.w);
  if (set.c == 1) {
    out.insert(out.end(), set.pixels.begin(), set.pixels.end());
    return out;
  }
  append_be32(out, set.c);
  const size_t plane = size_t{set.h} * set.w;
  for (uint32_t i = 0; i < set.n; ++i) {
    const uint8_t* in = set.image(i);
    for (size_t p = 0; p < plane; ++p) {
      for (uint32_t k = 0; k < set.c; ++k) out.push_back(in[k * plane + p]);
    }
  }
  return out;
}

}  // namespace lbb
