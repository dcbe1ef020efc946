// Image sets: loading PNG/PGM/PPM files and directories, IDX files and Fashion-MNIST into
// one uint8 NCHW array, and writing PNG / IDX / PNG-grid outputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lbb {

// A batch of same-sized 8-bit images.
struct ImageSet {
  uint32_t n = 0;  // number of images
  uint32_t c = 0;  // channels; invariant (when n > 0): c == 1 (gray) or c == 3 (RGB)
  uint32_t h = 0;  // rows; invariant (when n > 0): h > 0
  uint32_t w = 0;  // columns; invariant (when n > 0): w > 0
  // Samples in NCHW order (planar channels, rows top to bottom).
  // Invariant: pixels.size() == n*c*h*w.
  std::vector<uint8_t> pixels;
  // Where each image came from: a file path, "dir/a.png", "data.idx#17" or
  // "fmnist:test#17". Used in error messages and for output names.
  // Invariant: names.size() == n.
  std::vector<std::string> names;

  // Samples per image: c*h*w.
  size_t image_size() const { return size_t{c} * h * w; }
  // Pointer to image i (CHW). Precondition: i < n.
  const uint8_t* image(uint32_t i) const { return pixels.data() + i * image_size(); }
  uint8_t* image(uint32_t i) { return pixels.data() + i * image_size(); }
};

// Throws std::invalid_argument if `set` breaks an invariant of ImageSet (a programming
// error, not bad user input).
void check_image_set(const ImageSet& set);

// Loads and concatenates images from `inputs`, in order. Each input is one of
//   fmnist:train | fmnist:test [":N" = first N images]   Fashion-MNIST (gzipped IDX) from
//                         $LBB_FMNIST_DIR or /usr/share/datasets/fashion-mnist
//   an IDX file, raw or gzipped: ubyte [n,h,w] (gray) or [n,h,w,c], c in {1,3} (HWC)
//   a PNG (8-bit gray or RGB, no alpha or tRNS), PGM (P5/P2, maxval 255) or PPM (P6/P3,
//                         maxval 255) file
//   a directory: its *.png/*.pgm/*.ppm/*.pnm files (not recursive), sorted by name
// File types are recognized by content, not by extension. All images must share c, h, w.
// Throws InputError with a one-line "<name>: <problem>" message on any bad input
// (missing, empty, unsupported, corrupt, inconsistent sizes, too few images, no inputs).
ImageSet load_images(const std::vector<std::string>& inputs);

// Loads a single file (any supported type) or directory; same rules as load_images.
ImageSet load_image_input(const std::string& input);

// Writes one 8-bit gray (c == 1) or RGB (c == 3) PNG from CHW `pixels` (c*h*w samples).
// Atomic (temporary + rename); throws IoError on failure, std::invalid_argument on bad c/h/w.
void write_png(const std::string& path, uint32_t c, uint32_t h, uint32_t w,
               const uint8_t* pixels);

// The file names write_image_set_pngs uses: "<stem>.png" of each source name when the
// sources are distinct files (e.g. "photos/cat.ppm" -> "cat.png") and those names are
// unique; otherwise "image_00000.png", "image_00001.png", ... (at least 5 digits).
std::vector<std::string> png_output_names(const ImageSet& set);

// Writes each image as a PNG into `dir` (created if missing), named by png_output_names.
// Returns the paths written. Each file is written atomically.
std::vector<std::string> write_image_set_pngs(const std::string& dir, const ImageSet& set);

// Writes an IDX ubyte file: [n,h,w] for c == 1, [n,h,w,3] (HWC) for c == 3; gzipped when
// `path` ends in ".gz". Atomic.
void write_idx(const std::string& path, const ImageSet& set);

// Tiles the images row-major into one PNG, `cols` per row (0 = about square), with
// kGridPadding pixels of value kGridPadValue between and around them. Atomic.
constexpr uint32_t kGridPadding = 2;
constexpr uint8_t kGridPadValue = 255;
void write_png_grid(const std::string& path, const ImageSet& set, uint32_t cols);

}  // namespace lbb
