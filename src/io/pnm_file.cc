// PGM/PPM (Netpbm) decoding: P5/P6 binary and P2/P3 ASCII, one image per file, maxval 255;
// encoding: P5/P6 binary.
#include <cctype>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/errors.h"
#include "io/image_files.h"

namespace lbb {
namespace {

// Reads Netpbm header tokens and ASCII samples: decimal numbers separated by whitespace,
// with '#' comments running to the end of the line.
class PnmScanner {
 public:
  PnmScanner(const std::vector<uint8_t>& bytes, const std::string& name, const char* kind)
      : bytes_(bytes), name_(name), kind_(kind) {}

  size_t pos() const { return pos_; }

  // Skips whitespace and comments. Returns false at end of data.
  bool skip_space() {
    while (pos_ < bytes_.size()) {
      const uint8_t ch = bytes_[pos_];
      if (ch == '#') {
        while (pos_ < bytes_.size() && bytes_[pos_] != '\n' && bytes_[pos_] != '\r') ++pos_;
      } else if (std::isspace(ch)) {
        ++pos_;
      } else {
        return true;
      }
    }
    return false;
  }

  // Next unsigned decimal number (at most `limit`); `what` names it in error messages.
  uint64_t number(const char* what, uint64_t limit) {
    if (!skip_space()) throw InputError(name_ + ": truncated " + kind_ + " (missing " + what + ")");
    if (!std::isdigit(bytes_[pos_])) {
      throw InputError(name_ + ": corrupt " + kind_ + " header (expected " + what + ")");
    }
    uint64_t value = 0;
    while (pos_ < bytes_.size() && std::isdigit(bytes_[pos_])) {
      value = value * 10 + (bytes_[pos_] - '0');
      if (value > limit) {
        throw InputError(name_ + ": " + kind_ + " " + what + " too large");
      }
      ++pos_;
    }
    if (pos_ < bytes_.size() && !std::isspace(bytes_[pos_]) && bytes_[pos_] != '#') {
      throw InputError(name_ + ": corrupt " + kind_ + " (bad character after " + what + ")");
    }
    return value;
  }

  // The single whitespace byte that ends a binary header.
  void end_of_binary_header() {
    if (pos_ >= bytes_.size()) {
      throw InputError(name_ + ": truncated " + kind_ + " (no pixel data)");
    }
    if (!std::isspace(bytes_[pos_])) {
      throw InputError(name_ + ": corrupt " + kind_ + " header (no whitespace after maxval)");
    }
    ++pos_;
  }

 private:
  const std::vector<uint8_t>& bytes_;
  const std::string& name_;
  const char* kind_;
  size_t pos_ = 2;  // after the magic number
};

// Decodes one PGM/PPM into a CHW item (format kPnm, count 1, named `name`).
// `item_messages` words the rejection of maxval > 255 as load_image_items does ("16-bit
// images are not supported"); otherwise as the ImageSet loaders always have.
ImageItem decode_pnm_impl(const std::vector<uint8_t>& bytes, const std::string& name,
                          bool item_messages) {
  if (bytes.size() < 2 || bytes[0] != 'P') throw InputError(name + ": not a PGM/PPM file");
  const char variant = static_cast<char>(bytes[1]);
  uint32_t c = 0;
  bool ascii = false;
  switch (variant) {
    case '2': c = 1; ascii = true; break;
    case '5': c = 1; break;
    case '3': c = 3; ascii = true; break;
    case '6': c = 3; break;
    case '1':
    case '4':
      throw InputError(name + ": PBM bitmap not supported (8-bit PGM or PPM only)");
    case '7':
      throw InputError(name + ": PAM not supported (8-bit PGM or PPM only)");
    default:
      throw InputError(name + ": not a PGM/PPM file");
  }
  const char* kind = c == 1 ? "PGM" : "PPM";
  PnmScanner scan(bytes, name, kind);
  if (bytes.size() > 2 && !std::isspace(bytes[2]) && bytes[2] != '#') {
    throw InputError(name + ": not a PGM/PPM file");
  }
  const uint64_t w = scan.number("width", 0x7fffffff);
  const uint64_t h = scan.number("height", 0x7fffffff);
  const uint64_t maxval = scan.number("maxval", 0xffffffff);
  if (w == 0 || h == 0) throw InputError(name + ": " + kind + " has zero width or height");
  if (maxval == 0) throw InputError(name + ": corrupt " + kind + " (maxval 0)");
  if (maxval > 255 && item_messages) {
    throw InputError(name + ": 16-bit images are not supported (8 bits per sample only)");
  }
  if (maxval > 255) {
    throw InputError(name + ": " + kind + " with maxval " + std::to_string(maxval) +
                     " > 255 not supported (8-bit only)");
  }
  if (maxval != 255) {
    throw InputError(name + ": " + kind + " with maxval " + std::to_string(maxval) +
                     " not supported (8-bit with maxval 255 only)");
  }
  const uint64_t samples = uint64_t{c} * h * w;
  if (samples > kMaxImageSamples) {
    throw InputError(name + ": " + kind + " of " + std::to_string(w) + "x" + std::to_string(h) +
                     " pixels is too large");
  }

  std::vector<uint8_t> interleaved;  // HWC, as the file stores it
  if (ascii) {
    // Each sample takes at least one digit and one separator (the last no separator).
    if (bytes.size() - scan.pos() < 2 * samples - 1) {
      throw InputError(name + ": truncated " + kind + " (too little pixel data for " +
                       std::to_string(w) + "x" + std::to_string(h) + ")");
    }
    interleaved.resize(samples);
    for (uint64_t i = 0; i < samples; ++i) {
      const uint64_t v = scan.number("sample", 0xffffffff);
      if (v > maxval) {
        throw InputError(name + ": corrupt " + kind + " (sample value " + std::to_string(v) +
                         " exceeds maxval " + std::to_string(maxval) + ")");
      }
      interleaved[i] = static_cast<uint8_t>(v);
    }
    if (scan.skip_space()) {
      throw InputError(name + ": trailing data after " + kind +
                       " pixel data (multi-image files not supported)");
    }
  } else {
    scan.end_of_binary_header();
    const size_t have = bytes.size() - scan.pos();
    if (have < samples) {
      throw InputError(name + ": truncated " + kind + " (expected " + std::to_string(samples) +
                       " bytes of pixel data, found " + std::to_string(have) + ")");
    }
    if (have > samples) {
      throw InputError(name + ": trailing data after " + kind +
                       " pixel data (multi-image files not supported)");
    }
    interleaved.assign(bytes.begin() + static_cast<std::ptrdiff_t>(scan.pos()), bytes.end());
  }

  return planar_item(name, ImageFormat::kPnm, c, static_cast<uint32_t>(h), static_cast<uint32_t>(w), interleaved);
}

}  // namespace

ImageSet decode_pnm(const std::vector<uint8_t>& bytes, const std::string& name) {
  return single_image_set(decode_pnm_impl(bytes, name, /*item_messages=*/false), name);
}

ImageItem decode_pnm_item(const std::vector<uint8_t>& bytes, const std::string& name) {
  return decode_pnm_impl(bytes, name, /*item_messages=*/true);
}

std::vector<uint8_t> encode_pnm(uint32_t c, uint32_t h, uint32_t w, const uint8_t* pixels) {
  if ((c != 1 && c != 3) || h == 0 || w == 0 || h > 0x7fffffffu || w > 0x7fffffffu) {
    throw std::invalid_argument("encode_pnm: need c in {1,3} and 0 < h, w < 2^31");
  }
  const std::string header = std::string(c == 1 ? "P5" : "P6") + "\n" + std::to_string(w) +
                             " " + std::to_string(h) + "\n255\n";
  const size_t plane = size_t{h} * w;
  std::vector<uint8_t> out(header.begin(), header.end());
  out.resize(header.size() + plane * c);
  uint8_t* data = out.data() + header.size();  // HWC
  for (size_t p = 0; p < plane; ++p) {
    for (uint32_t k = 0; k < c; ++k) data[p * c + k] = pixels[k * plane + p];
  }
  return out;
}

}  // namespace lbb
