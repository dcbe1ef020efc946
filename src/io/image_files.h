// Decoders and encoders for single image files held in memory (internal to lbb_io; the
// public entry points are in io/images.h). Every decoder takes `name` (the file's path)
// for its error messages and throws InputError("<name>: <problem>") on bad data.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "io/images.h"

namespace lbb {

// Largest c*h*w accepted for one decoded image (1 GiB), so a tiny hostile header cannot
// make us allocate without bound.
constexpr uint64_t kMaxImageSamples = uint64_t{1} << 30;

// Largest PNG width and height accepted (libpng's own default limit is 1,000,000).
constexpr uint32_t kMaxPngSide = uint32_t{1} << 20;

enum class FileKind { kPng, kPnm, kIdx, kGzip, kUnknown };

// Recognizes a file by its first bytes.
FileKind sniff_file_kind(const std::vector<uint8_t>& bytes);

// PNG, 8-bit grayscale or RGB without transparency (any interlacing; gamma, colour-space
// and text chunks are ignored: the samples are returned exactly as stored). Palette,
// alpha, tRNS and bit depths other than 8 are rejected, since the codec writes its output
// back as plain 8-bit gray/RGB PNG. Returns one image (n == 1) named `name`.
ImageSet decode_png(const std::vector<uint8_t>& bytes, const std::string& name);

// PNG of any colour type with at most 8 bits per sample, expanded to 8 bits per sample as
// load_image_items describes (palette -> RGB/RGBA, tRNS -> alpha plane, 1/2/4-bit grey
// scaled to 8 bits); 16-bit PNGs are rejected. Returns one kPng item named `name`.
ImageItem decode_png_item(const std::vector<uint8_t>& bytes, const std::string& name);

// PNG file bytes of one 8-bit image given as CHW samples: c == 1 grey, 2 grey+alpha,
// 3 RGB, 4 RGBA. std::invalid_argument on other c or on h, w outside [1, 2^31).
std::vector<uint8_t> encode_png(uint32_t c, uint32_t h, uint32_t w, const uint8_t* pixels);

// PGM (P5 binary, P2 ASCII) or PPM (P6 binary, P3 ASCII) with maxval 255. One image.
ImageSet decode_pnm(const std::vector<uint8_t>& bytes, const std::string& name);

// The same, as one kPnm item named `name`; maxval > 255 is reported as a 16-bit image.
ImageItem decode_pnm_item(const std::vector<uint8_t>& bytes, const std::string& name);

// Binary PGM (P5, c == 1) or PPM (P6, c == 3), maxval 255, of CHW samples.
// std::invalid_argument on other c or on h, w outside [1, 2^31).
std::vector<uint8_t> encode_pnm(uint32_t c, uint32_t h, uint32_t w, const uint8_t* pixels);

// IDX unsigned-byte images: [n,h,w] -> c = 1, or [n,h,w,c] with c in {1,3} (HWC order in
// the file). Keeps the first min(n, max_images) images, named "<name>#<i>". The whole
// file is validated (exact size) either way.
ImageSet decode_idx(const std::vector<uint8_t>& bytes, const std::string& name,
                    uint64_t max_images = std::numeric_limits<uint64_t>::max());

// Inflates a gzipped IDX file, bounded by what its header declares: a file whose header
// declares more than its gzip data can hold, or whose data inflates beyond the declared size,
// fails as soon as that is known (InputError "<name>: ..."); so does one that is not IDX.
std::vector<uint8_t> gunzip_idx(const std::vector<uint8_t>& gz, const std::string& name);

// IDX bytes for `set`: [n,h,w] if c == 1, [n,h,w,3] (HWC) if c == 3.
std::vector<uint8_t> encode_idx(const ImageSet& set);

// True if `input` is a Fashion-MNIST spec ("fmnist:..."), not a path.
bool is_fmnist_spec(const std::string& input);

// A Fashion-MNIST spec "fmnist:<split>[:N]" resolved to its file, which exists.
struct FmnistSource {
  std::string split;  // "train" or "test"
  std::string path;   // the gzipped or raw IDX file in $LBB_FMNIST_DIR or the default dir
  uint64_t count;     // images wanted: N, or UINT64_MAX for all
};
// Throws InputError("<spec>: ...") on a bad split or count, or a missing file.
FmnistSource find_fmnist(const std::string& spec);

// Decodes an image file of any supported type, recognized by content: PNG, PGM/PPM, raw
// or gzipped IDX (keeping its first min(n, max_images) images). ImageSet rules.
ImageSet decode_file_bytes(const std::vector<uint8_t>& bytes, const std::string& name,
                           uint64_t max_images);

// True if a directory entry called `file_name` (no slashes) is one the directory loaders
// read: not hidden (no leading '.') and ending in .png/.pgm/.ppm/.pnm (any case).
bool is_image_file_name(const std::string& file_name);

// A decoded file's samples (HWC, as PNG and PNM store them) as one planar item named `name`.
ImageItem planar_item(const std::string& name, ImageFormat format, uint32_t c, uint32_t h, uint32_t w,
                      const std::vector<uint8_t>& interleaved);
// A one-image item as the ImageSet of the strict (grey/RGB only) API.
ImageSet single_image_set(ImageItem&& item, const std::string& name);

// Whether `input` is a directory; throws InputError("<input>: no such file or directory" /
// "cannot access: ...") if it does not exist.
bool is_existing_directory(const std::string& input);

}  // namespace lbb
