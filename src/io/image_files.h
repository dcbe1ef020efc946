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

enum class FileKind { kPng, kPnm, kIdx, kGzip, kUnknown };

// Recognizes a file by its first bytes.
FileKind sniff_file_kind(const std::vector<uint8_t>& bytes);

// PNG, 8-bit grayscale or RGB without transparency (any interlacing; gamma, colour-space
// and text chunks are ignored: the samples are returned exactly as stored). Palette,
// alpha, tRNS and bit depths other than 8 are rejected, since the codec writes its output
// back as plain 8-bit gray/RGB PNG. Returns one image (n == 1) named `name`.
ImageSet decode_png(const std::vector<uint8_t>& bytes, const std::string& name);

// PNG file bytes of one 8-bit gray (c == 1) or RGB (c == 3) image given as CHW samples.
std::vector<uint8_t> encode_png(uint32_t c, uint32_t h, uint32_t w, const uint8_t* pixels);

// PGM (P5 binary, P2 ASCII) or PPM (P6 binary, P3 ASCII) with maxval 255. One image.
ImageSet decode_pnm(const std::vector<uint8_t>& bytes, const std::string& name);

// IDX unsigned-byte images: [n,h,w] -> c = 1, or [n,h,w,c] with c in {1,3} (HWC order in
// the file). Keeps the first min(n, max_images) images, named "<name>#<i>". The whole
// file is validated (exact size) either way.
ImageSet decode_idx(const std::vector<uint8_t>& bytes, const std::string& name,
                    uint64_t max_images = std::numeric_limits<uint64_t>::max());

// IDX bytes for `set`: [n,h,w] if c == 1, [n,h,w,3] (HWC) if c == 3.
std::vector<uint8_t> encode_idx(const ImageSet& set);

}  // namespace lbb
