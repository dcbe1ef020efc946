// PNG decoding/encoding with libpng's classic API.
//
// libpng reports errors by longjmp. The functions that call setjmp below hold only
// trivially destructible locals and touch no C++ objects after a longjmp, so no
// destructor is ever skipped; the C++ side allocates buffers before and checks the
// result after.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "common/errors.h"
#include "io/file_bytes.h"
#include "io/image_files.h"

namespace lbb {
namespace {

// State shared with the libpng callbacks while reading.
struct PngReadIo {
  const uint8_t* data;  // the whole file
  size_t size;
  size_t pos;            // invariant: pos <= size; next byte handed to libpng
  bool ran_out;          // set when libpng asked for bytes past the end (truncated file)
  char message[256];     // last libpng error message
};

void on_read_error(png_structp png, png_const_charp msg) {
  auto* io = static_cast<PngReadIo*>(png_get_error_ptr(png));
  std::snprintf(io->message, sizeof(io->message), "%s", msg ? msg : "unknown error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep out, size_t count) {
  auto* io = static_cast<PngReadIo*>(png_get_io_ptr(png));
  if (io->size - io->pos < count) {
    io->ran_out = true;
    png_error(png, "unexpected end of file");
  }
  std::memcpy(out, io->data + io->pos, count);
  io->pos += count;
}

struct PngHeader {
  png_uint_32 width;
  png_uint_32 height;
  int bit_depth;
  int color_type;
  bool has_transparency;  // a tRNS chunk (colour-key transparency) is present
};

// Returns 0, or 1 after a libpng error (message in the PngReadIo).
int read_header(png_structp png, png_infop info, PngHeader* header) {
  if (setjmp(png_jmpbuf(png))) return 1;
  png_read_info(png, info);
  int interlace = 0;
  png_get_IHDR(png, info, &header->width, &header->height, &header->bit_depth,
               &header->color_type, &interlace, nullptr, nullptr);
  header->has_transparency = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  return 0;
}

// What the rows look like after the transforms; filled by start_rows.
struct PngRowLayout {
  int channels;        // samples per pixel
  int bit_depth;       // bits per sample
  size_t row_bytes;    // bytes per row
};

// Asks libpng to expand an 8-bit-or-less image to 8 bits per sample (palette -> RGB,
// tRNS -> alpha plane, 1/2/4-bit grey -> 8-bit) when `expand`, to deinterlace, and reports
// the resulting row layout. Returns 0, or 1 after a libpng error.
int start_rows(png_structp png, png_infop info, bool expand, PngRowLayout* layout) {
  if (setjmp(png_jmpbuf(png))) return 1;
  if (expand) {
    const png_byte color_type = png_get_color_type(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) {
      png_set_expand_gray_1_2_4_to_8(png);
    }
    if (png_get_valid(png, info, PNG_INFO_tRNS) != 0) png_set_tRNS_to_alpha(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  layout->channels = png_get_channels(png, info);
  layout->bit_depth = png_get_bit_depth(png, info);
  layout->row_bytes = png_get_rowbytes(png, info);
  return 0;
}

// Reads all rows (handling interlacing) and the rest of the file up to IEND.
int read_rows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return 1;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return 0;
}

// Reads a non-interlaced image row by row through `row` (w*c bytes), scattering each row into
// the c planes of `planar` (CHW), then the rest of the file up to IEND.
int read_rows_planar(png_structp png, png_bytep row, uint8_t* planar, uint32_t c, uint32_t h, uint32_t w) {
  if (setjmp(png_jmpbuf(png))) return 1;
  const size_t plane = size_t{h} * w;
  for (uint32_t y = 0; y < h; ++y) {
    png_read_row(png, row, nullptr);
    uint8_t* out = planar + size_t{y} * w;
    for (uint32_t x = 0; x < w; ++x)
      for (uint32_t k = 0; k < c; ++k) out[k * plane + x] = row[size_t{x} * c + k];
  }
  png_read_end(png, nullptr);
  return 0;
}

struct ReadStructs {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~ReadStructs() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

const char* const kSupported = " not supported (8-bit grayscale or RGB only)";

// State shared with the libpng callbacks while writing.
struct PngWriteIo {
  uint8_t* buffer;    // malloc'ed output; owned by the caller
  size_t size;        // bytes written so far; invariant: size <= capacity
  size_t capacity;
  char message[256];  // last libpng error message
};

void on_write_error(png_structp png, png_const_charp msg) {
  auto* io = static_cast<PngWriteIo*>(png_get_error_ptr(png));
  std::snprintf(io->message, sizeof(io->message), "%s", msg ? msg : "unknown error");
  png_longjmp(png, 1);
}

void on_write(png_structp png, png_bytep data, size_t count) {
  auto* io = static_cast<PngWriteIo*>(png_get_io_ptr(png));
  if (io->capacity - io->size < count) {
    size_t capacity = io->capacity * 2 + count + 4096;
    void* grown = std::realloc(io->buffer, capacity);
    if (grown == nullptr) png_error(png, "out of memory");
    io->buffer = static_cast<uint8_t*>(grown);
    io->capacity = capacity;
  }
  std::memcpy(io->buffer + io->size, data, count);
  io->size += count;
}

void on_flush(png_structp) {}

int write_rows(png_structp png, png_infop info, png_uint_32 width, png_uint_32 height,
               int color_type, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return 1;
  png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return 0;
}

struct WriteStructs {
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngWriteIo io{nullptr, 0, 0, {0}};
  ~WriteStructs() {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    std::free(io.buffer);
  }
};

// Decodes a whole PNG into one CHW item (format kPng, count 1, named `name`). `strict`
// keeps the ImageSet rules (8-bit grey or RGB without tRNS, anything else rejected with
// its own message); otherwise every 8-bit-or-less colour type is expanded to 8 bits per
// sample (see load_image_items) and only 16-bit images are rejected.
ImageItem decode_png_impl(const std::vector<uint8_t>& bytes, const std::string& name,
                          bool strict) {
  if (bytes.size() < 8 || png_sig_cmp(bytes.data(), 0, 8) != 0) {
    throw InputError(name + ": not a PNG file");
  }
  PngReadIo io{bytes.data(), bytes.size(), 0, false, {0}};
  ReadStructs s;
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, on_read_error, on_warning);
  if (s.png == nullptr) throw std::bad_alloc();
  s.info = png_create_info_struct(s.png);
  if (s.info == nullptr) throw std::bad_alloc();
  png_set_read_fn(s.png, &io, on_read);
  // libpng's default refuses widths and heights above 1,000,000; lbb takes up to 2^20.
  png_set_user_limits(s.png, kMaxPngSide, kMaxPngSide);

  auto corrupt = [&]() {
    if (io.ran_out) return InputError(name + ": truncated PNG (unexpected end of file)");
    return InputError(name + ": corrupt PNG (" + io.message + ")");
  };
  // IHDR comes first (libpng checks that); its width and height are bytes 16..23.
  if (bytes.size() >= 24 && std::memcmp(bytes.data() + 12, "IHDR", 4) == 0) {
    const auto be32 = [&](size_t at) {
      return uint32_t{bytes[at]} << 24 | uint32_t{bytes[at + 1]} << 16 | uint32_t{bytes[at + 2]} << 8 | bytes[at + 3];
    };
    if (be32(16) > kMaxPngSide || be32(20) > kMaxPngSide)
      throw InputError(printable(name) + ": PNG of " + std::to_string(be32(16)) + "x" + std::to_string(be32(20)) +
                       " pixels is larger than " + std::to_string(kMaxPngSide) + " on a side");
  }
  PngHeader header{};
  if (read_header(s.png, s.info, &header) != 0) throw corrupt();

  if (strict) {
    switch (header.color_type) {
      case PNG_COLOR_TYPE_PALETTE:
        throw InputError(name + ": palette PNG" + kSupported);
      case PNG_COLOR_TYPE_GRAY_ALPHA:
        throw InputError(name + ": grayscale+alpha PNG" + kSupported);
      case PNG_COLOR_TYPE_RGB_ALPHA:
        throw InputError(name + ": RGBA PNG" + kSupported);
      case PNG_COLOR_TYPE_GRAY:
      case PNG_COLOR_TYPE_RGB:
        break;
      default:
        throw InputError(name + ": PNG color type " + std::to_string(header.color_type) +
                         kSupported);
    }
    if (header.bit_depth != 8) {
      throw InputError(name + ": " + std::to_string(header.bit_depth) + "-bit PNG" +
                       kSupported);
    }
    // Colour-key transparency is alpha in disguise; dropping it would not round-trip.
    if (header.has_transparency) {
      throw InputError(name + ": PNG with transparency (tRNS chunk)" + kSupported);
    }
  } else if (header.bit_depth > 8) {
    throw InputError(name + ": 16-bit images are not supported (8 bits per sample only)");
  }

  // Bits per pixel as the file stores it (before any expansion).
  const uint64_t file_bits = uint64_t{png_get_channels(s.png, s.info)} * png_get_bit_depth(s.png, s.info);
  PngRowLayout layout{};
  if (start_rows(s.png, s.info, /*expand=*/!strict, &layout) != 0) throw corrupt();
  const uint32_t c = static_cast<uint32_t>(layout.channels);
  const uint32_t h = header.height, w = header.width;
  // libpng guarantees h, w >= 1 (it rejects a zero IHDR size); after the transforms every
  // sample is one byte, so a row is exactly w*c bytes.
  if (layout.bit_depth != 8 || c < 1 || c > 4 || layout.row_bytes != size_t{w} * c) {
    throw std::logic_error(name + ": unexpected PNG row layout after libpng transforms");
  }
  if (uint64_t{c} * h * w > kMaxImageSamples) {
    throw InputError(printable(name) + ": PNG of " + std::to_string(w) + "x" + std::to_string(h) +
                     " pixels is too large");
  }
  // The filtered rows (at least h * (row bytes + 1) bytes) come out of one deflate stream
  // that cannot expand more than ~1032:1: more than the file can hold is refused before any
  // buffer is allocated.
  const uint64_t filtered = uint64_t{h} * ((uint64_t{w} * file_bits + 7) / 8 + 1);
  if (filtered > kMaxGzipRatio * bytes.size() + 4096)
    throw InputError(printable(name) + ": PNG declares " + std::to_string(w) + "x" +
                     std::to_string(h) + " pixels, more than its " + std::to_string(bytes.size()) +
                     " bytes can hold (truncated, or a decompression bomb)");

  // One full-size buffer: the planes themselves, filled row by row (grey, or not interlaced);
  // an interlaced image with several channels is read whole (HWC) and then split.
  ImageItem item;
  item.name = name;
  item.format = ImageFormat::kPng;
  item.channels = c;
  item.h = h;
  item.w = w;
  if (c == 1 || png_get_interlace_type(s.png, s.info) == PNG_INTERLACE_NONE) {
    item.pixels.resize(size_t{c} * h * w);
    if (c == 1) {
      std::vector<png_bytep> rows(h);
      for (uint32_t y = 0; y < h; ++y) rows[y] = item.pixels.data() + size_t{y} * w;
      if (read_rows(s.png, rows.data()) != 0) throw corrupt();
    } else {
      std::vector<uint8_t> row(size_t{w} * c);
      if (read_rows_planar(s.png, row.data(), item.pixels.data(), c, h, w) != 0) throw corrupt();
    }
    return item;
  }
  std::vector<uint8_t> interleaved(size_t{c} * h * w);  // HWC, as PNG stores it
  std::vector<png_bytep> rows(h);
  for (uint32_t y = 0; y < h; ++y) rows[y] = interleaved.data() + size_t{y} * w * c;
  if (read_rows(s.png, rows.data()) != 0) throw corrupt();
  return planar_item(name, ImageFormat::kPng, c, h, w, interleaved);
}

}  // namespace

ImageSet decode_png(const std::vector<uint8_t>& bytes, const std::string& name) {
  return single_image_set(decode_png_impl(bytes, name, /*strict=*/true), name);
}

ImageItem decode_png_item(const std::vector<uint8_t>& bytes, const std::string& name) {
  return decode_png_impl(bytes, name, /*strict=*/false);
}

std::vector<uint8_t> encode_png(uint32_t c, uint32_t h, uint32_t w, const uint8_t* pixels) {
  if (c < 1 || c > 4 || h == 0 || w == 0 || h > 0x7fffffffu || w > 0x7fffffffu) {
    throw std::invalid_argument("encode_png: need c in {1,2,3,4} and 0 < h, w < 2^31");
  }
  const size_t plane = size_t{h} * w;
  std::vector<uint8_t> interleaved(plane * c);
  for (size_t p = 0; p < plane; ++p) {
    for (uint32_t k = 0; k < c; ++k) interleaved[p * c + k] = pixels[k * plane + p];
  }
  std::vector<png_bytep> rows(h);
  for (uint32_t y = 0; y < h; ++y) rows[y] = interleaved.data() + size_t{y} * w * c;

  WriteStructs s;
  s.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s.io, on_write_error, on_warning);
  if (s.png == nullptr) throw std::bad_alloc();
  s.info = png_create_info_struct(s.png);
  if (s.info == nullptr) throw std::bad_alloc();
  png_set_write_fn(s.png, &s.io, on_write, on_flush);
  png_set_user_limits(s.png, 0x7fffffffu, 0x7fffffffu);  // what encode_png takes (libpng's default: 1,000,000)
  static const int kColorTypes[4] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  const int color_type = kColorTypes[c - 1];
  if (write_rows(s.png, s.info, w, h, color_type, rows.data()) != 0) {
    throw std::runtime_error(std::string("encode_png: libpng: ") + s.io.message);
  }
  return std::vector<uint8_t>(s.io.buffer, s.io.buffer + s.io.size);
}

}  // namespace lbb
