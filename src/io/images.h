// Image sets: loading PNG/PGM/PPM files and directories, IDX files and Fashion-MNIST into
// one uint8 NCHW array, and writing PNG / IDX / PNG-grid outputs. Image items: the same
// inputs loaded file by file with their own sizes and layouts (alpha included), named for
// storage, and written back as files of the type they came from.
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

// Writes one 8-bit PNG from CHW `pixels` (c*h*w samples): c == 1 gray, 2 gray+alpha,
// 3 RGB, 4 RGBA. Atomic (temporary + rename); throws IoError on failure,
// std::invalid_argument on bad c/h/w.
void write_png(const std::string& path, uint32_t c, uint32_t h, uint32_t w,
               const uint8_t* pixels);

// Writes an IDX ubyte file: [n,h,w] for c == 1, [n,h,w,3] (HWC) for c == 3; gzipped when
// `path` ends in ".gz". Atomic.
void write_idx(const std::string& path, const ImageSet& set);

// Tiles the images row-major into one PNG, `cols` per row (0 = about square), with
// kGridPadding pixels of value kGridPadValue between and around them. Atomic.
constexpr uint32_t kGridPadding = 2;
constexpr uint8_t kGridPadValue = 255;
void write_png_grid(const std::string& path, const ImageSet& set, uint32_t cols);

// Where an image came from, which decides the file type it is written back as.
enum class ImageFormat : uint8_t { kPng = 0, kPnm = 1, kIdx = 2 };

// One input file's images: a PNG/PGM/PPM file (count == 1) or an IDX file / Fashion-MNIST
// split (count >= 1), 8 bits per sample.
struct ImageItem {
  // Stored relative path, e.g. "photos/sub/cat.png", "t10k.idx", "fmnist-test".
  // Invariant (from load_image_items): non-empty, no leading "/", no "." or ".." parts.
  std::string name;
  // kPng / kPnm: count == 1; kIdx: an IDX file or a Fashion-MNIST split.
  ImageFormat format = ImageFormat::kPng;
  // 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (alpha plane last). kPnm: 1 or 3.
  uint32_t channels = 1;
  uint32_t h = 0, w = 0;  // invariant: >= 1
  uint32_t count = 1;     // images in this item; invariant: >= 1
  // Invariant: pixels.size() == count*channels*h*w; image after image, each planar CHW
  // (rows top to bottom).
  std::vector<uint8_t> pixels;
};

// The colour planes of an item: its channels without the alpha plane.
inline uint32_t colour_planes(const ImageItem& item) {
  return item.channels == 2 || item.channels == 4 ? item.channels - 1 : item.channels;
}

// Loads files and directories (recursively) in order, one item per file. Each input is
//   a file, its type recognized by content: PNG, PGM/PPM (P2/P3/P5/P6, maxval 255), IDX
//       (raw or gzipped; ubyte [n,h,w] or [n,h,w,c], c in {1,3}) -> one item (kIdx for IDX);
//   "fmnist:train" | "fmnist:test" [":N" = first N images] -> one kIdx item named
//       "fmnist-train" / "fmnist-test";
//   a directory: every *.png/*.pgm/*.ppm/*.pnm file under it (any case), recursively,
//       skipping every file and directory whose name starts with '.', and not following
//       symbolic links to directories; sorted by relative path (byte order), so the result
//       does not depend on the directory listing order.
// Names: the path as given, lexically normalized (no "." parts, "a/../b" -> "b"), with a
// leading "/" and any leading ".." parts removed (as tar does); a directory's files are
// "<directory as given, normalized>/<relative path>" (just the relative path for ".").
// PNG: every colour type and bit depth up to 8, expanded to 8 bits per sample: grey,
// grey+alpha, RGB, RGBA; palette -> RGB, or RGBA if it has tRNS; tRNS on grey / RGB ->
// grey+alpha / RGBA; 1/2/4-bit grey scaled to 8 bits (0..2^b-1 -> 0..255, as libpng's
// png_set_expand_gray_1_2_4_to_8). Interlaced PNGs read fine; samples are returned as
// stored (gamma and colour-space chunks ignored). At most kMaxImageSamples
// (2^30 = 16384*16384*4) samples per image.
// Throws InputError "<name>: <problem>" (one line) on any bad input: missing or empty,
// corrupt, 16-bit ("<file>: 16-bit images are not supported (8 bits per sample only)"),
// a directory with no image files, two items with the same name (naming both sources),
// no inputs. Everything is read and validated before returning.
// "-" (at most once) reads one PNG or PNM image from standard input (read_stdin_bytes; the
// first bytes must be a PNG or PNM signature), stored as "stdin.png" / "stdin.pgm" /
// "stdin.ppm" / "stdin.pnm"; "./-" names a file called "-".
std::vector<ImageItem> load_image_items(const std::vector<std::string>& inputs);

// The files load_image_items(inputs) would read, as paths to open (standard input left out);
// the same errors for missing inputs and bad directory entries.
std::vector<std::string> input_file_paths(const std::vector<std::string>& inputs);

// The bytes of one image file of CHW `pixels` (channels*h*w samples, 8 bits each):
// kPng and kIdx: PNG, colour type by channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA);
// kPnm: binary PGM (P5, channels 1) or PPM (P6, channels 3), maxval 255.
// std::invalid_argument on a channel count the format cannot hold or h, w outside [1, 2^31).
std::vector<uint8_t> encode_image_file(ImageFormat format, uint32_t channels, uint32_t h,
                                       uint32_t w, const uint8_t* pixels);

// The file name image i of `item` is written as: item.name for kPng / kPnm items; for kIdx
// items "<name without its .idx/.gz/-ubyte suffixes>-<i>.png", i zero-padded to
// max(5, digits of count-1) digits, e.g. "t10k-00017.png", "fmnist-test-00017.png".
// std::invalid_argument if i >= item.count.
std::string item_output_name(const ImageItem& item, uint32_t i);

}  // namespace lbb
