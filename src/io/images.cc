#include "io/images.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "common/errors.h"
#include "io/file_bytes.h"
#include "io/image_files.h"

namespace lbb {
namespace {

namespace fs = std::filesystem;

const char* const kFmnistDefaultDir = "/usr/share/datasets/fashion-mnist";
const char* const kFmnistPrefix = "fmnist:";

std::string shape_text(const ImageSet& set) {
  return std::to_string(set.c) + "x" + std::to_string(set.h) + "x" + std::to_string(set.w);
}

// Appends `src` to `dst`, which must then agree in c, h, w.
void append_images(ImageSet& dst, ImageSet&& src) {
  if (src.n == 0) return;
  if (dst.n == 0) {
    dst = std::move(src);
    return;
  }
  if (src.c != dst.c || src.h != dst.h || src.w != dst.w) {
    throw InputError(src.names[0] + ": image is " + shape_text(src) + " (CxHxW) but " +
                     dst.names[0] + " is " + shape_text(dst) +
                     " (all images must have the same channels and size)");
  }
  if (uint64_t{dst.n} + src.n > 0xffffffffu) throw InputError(src.names[0] + ": too many images");
  dst.n += src.n;
  dst.pixels.insert(dst.pixels.end(), src.pixels.begin(), src.pixels.end());
  dst.names.insert(dst.names.end(), std::make_move_iterator(src.names.begin()),
                   std::make_move_iterator(src.names.end()));
}

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

ImageSet load_directory(const std::string& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw InputError(dir + ": cannot list directory: " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) throw InputError(dir + ": cannot list directory: " + ec.message());
    std::error_code kind_ec;
    const std::string file_name = it->path().filename().string();
    const fs::file_status target = it->status(kind_ec);
    if (file_name[0] != '.' && !fs::is_regular_file(target) && !fs::is_directory(target))
      throw InputError(printable(it->path().string()) +
                       (fs::exists(target) ? ": not a regular file (a device, FIFO or socket) in an input directory"
                                           : ": broken symbolic link in an input directory"));
    if (fs::is_regular_file(target) && is_image_file_name(file_name)) files.push_back(it->path());
  }
  if (ec) throw InputError(dir + ": cannot list directory: " + ec.message());
  if (files.empty()) throw InputError(dir + ": directory has no PNG/PGM/PPM files");
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  ImageSet set;
  for (const fs::path& file : files) {
    const std::string name = file.string();
    append_images(set, decode_file_bytes(read_file_bytes(name), name,
                                         std::numeric_limits<uint64_t>::max()));
  }
  return set;
}

// "fmnist:<split>[:N]", images named "fmnist:<split>#<i>".
ImageSet load_fmnist(const std::string& spec) {
  const FmnistSource source = find_fmnist(spec);
  ImageSet set = decode_file_bytes(read_file_bytes(source.path), source.path, source.count);
  if (source.count != std::numeric_limits<uint64_t>::max() && set.n < source.count) {
    throw InputError(spec + ": asked for " + std::to_string(source.count) + " images but " +
                     source.path + " has only " + std::to_string(set.n));
  }
  const std::string base = "fmnist:" + source.split + "#";
  for (uint32_t i = 0; i < set.n; ++i) set.names[i] = base + std::to_string(i);
  return set;
}

}  // namespace

FileKind sniff_file_kind(const std::vector<uint8_t>& bytes) {
  static const uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::equal(kPngSignature, kPngSignature + 8, bytes.begin())) {
    return FileKind::kPng;
  }
  if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '7') {
    return FileKind::kPnm;
  }
  if (has_gzip_magic(bytes)) return FileKind::kGzip;
  if (bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 0) return FileKind::kIdx;
  return FileKind::kUnknown;
}

bool is_fmnist_spec(const std::string& input) { return input.rfind(kFmnistPrefix, 0) == 0; }

FmnistSource find_fmnist(const std::string& spec) {
  const std::string rest = spec.substr(std::string(kFmnistPrefix).size());
  const size_t colon = rest.find(':');
  const std::string split = rest.substr(0, colon);
  std::string file;
  uint64_t available = 0;
  if (split == "train") {
    file = "train-images-idx3-ubyte";
    available = 60000;
  } else if (split == "test") {
    file = "t10k-images-idx3-ubyte";
    available = 10000;
  } else {
    throw InputError(spec + ": unknown Fashion-MNIST split '" + split +
                     "' (expected fmnist:train or fmnist:test, optionally with :N)");
  }
  uint64_t count = std::numeric_limits<uint64_t>::max();
  if (colon != std::string::npos) {
    const std::string digits = rest.substr(colon + 1);
    if (digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(),
                     [](char ch) { return ch >= '0' && ch <= '9'; })) {
      throw InputError(spec + ": bad image count '" + digits + "' (expected fmnist:" + split +
                       ":N with N a positive integer)");
    }
    count = std::stoull(digits);
    if (count == 0) throw InputError(spec + ": image count must be positive");
    if (count > available) {
      throw InputError(spec + ": asked for " + std::to_string(count) + " images but fmnist:" +
                       split + " has only " + std::to_string(available));
    }
  }
  const char* env_dir = std::getenv("LBB_FMNIST_DIR");
  const fs::path dir = (env_dir != nullptr && env_dir[0] != '\0') ? env_dir : kFmnistDefaultDir;
  fs::path path = dir / (file + ".gz");
  std::error_code ec;
  if (!fs::exists(path, ec) && fs::exists(dir / file, ec)) path = dir / file;
  if (!fs::exists(path, ec)) {
    throw InputError(spec + ": cannot find " + path.string() +
                     " (install dataset-fashion-mnist or set LBB_FMNIST_DIR)");
  }
  return FmnistSource{split, path.string(), count};
}

bool is_image_file_name(const std::string& file_name) {
  if (file_name.empty() || file_name[0] == '.') return false;  // hidden files, "._x.png" litter
  const std::string ext = lower(fs::path(file_name).extension().string());
  return ext == ".png" || ext == ".pgm" || ext == ".ppm" || ext == ".pnm";
}

ImageSet decode_file_bytes(const std::vector<uint8_t>& bytes, const std::string& name,
                           uint64_t max_images) {
  switch (sniff_file_kind(bytes)) {
    case FileKind::kPng: return decode_png(bytes, name);
    case FileKind::kPnm: return decode_pnm(bytes, name);
    case FileKind::kIdx: return decode_idx(bytes, name, max_images);
    case FileKind::kGzip: {
      const std::vector<uint8_t> raw = gunzip_idx(bytes, name);
      return decode_idx(raw, name, max_images);
    }
    case FileKind::kUnknown: break;
  }
  if (bytes.empty()) throw InputError(name + ": empty file");
  throw InputError(name + ": unrecognized file type (expected PNG, PGM, PPM or IDX)");
}

void check_image_set(const ImageSet& set) {
  if (set.n > 0) {
    if (set.c != 1 && set.c != 3) {
      throw std::invalid_argument("ImageSet: c must be 1 or 3, got " + std::to_string(set.c));
    }
    if (set.h == 0 || set.w == 0) throw std::invalid_argument("ImageSet: zero height or width");
  }
  if (set.pixels.size() != uint64_t{set.n} * set.c * set.h * set.w) {
    throw std::invalid_argument("ImageSet: pixels.size() != n*c*h*w");
  }
  if (set.names.size() != set.n) throw std::invalid_argument("ImageSet: names.size() != n");
}

ImageItem planar_item(const std::string& name, ImageFormat format, uint32_t c, uint32_t h, uint32_t w,
                      const std::vector<uint8_t>& interleaved) {
  ImageItem item;
  item.name = name;
  item.format = format;
  item.channels = c;
  item.h = h;
  item.w = w;
  item.count = 1;
  item.pixels.resize(interleaved.size());
  const size_t plane = size_t{h} * w;
  for (size_t p = 0; p < plane; ++p) {
    for (uint32_t k = 0; k < c; ++k) item.pixels[k * plane + p] = interleaved[p * c + k];
  }
  return item;
}

ImageSet single_image_set(ImageItem&& item, const std::string& name) {
  ImageSet set;
  set.n = 1;
  set.c = item.channels;
  set.h = item.h;
  set.w = item.w;
  set.pixels = std::move(item.pixels);
  set.names.push_back(name);
  return set;
}

bool is_existing_directory(const std::string& input) {
  if (input.empty()) throw InputError("(empty input name): no such file or directory");
  std::error_code ec;
  const fs::file_status status = fs::status(input, ec);
  if (!fs::exists(status)) {
    if (ec && ec != std::errc::no_such_file_or_directory) {
      throw InputError(input + ": cannot access: " + ec.message());
    }
    throw InputError(input + ": no such file or directory");
  }
  return fs::is_directory(status);
}

ImageSet load_image_input(const std::string& input) {
  if (is_fmnist_spec(input)) return load_fmnist(input);
  if (is_existing_directory(input)) return load_directory(input);
  return decode_file_bytes(read_file_bytes(input), input,
                           std::numeric_limits<uint64_t>::max());
}

ImageSet load_images(const std::vector<std::string>& inputs) {
  if (inputs.empty()) throw InputError("no inputs given");
  ImageSet set;
  for (const std::string& input : inputs) append_images(set, load_image_input(input));
  if (set.n == 0) throw InputError(inputs[0] + ": no images found");
  return set;
}

void write_png(const std::string& path, uint32_t c, uint32_t h, uint32_t w,
               const uint8_t* pixels) {
  std::vector<uint8_t> bytes;
  try {
    bytes = encode_png(c, h, w, pixels);
  } catch (const std::runtime_error& e) {
    throw IoError(path + ": " + e.what());
  }
  write_file_atomic(path, bytes);
}

void write_idx(const std::string& path, const ImageSet& set) {
  std::vector<uint8_t> bytes = encode_idx(set);
  const std::string ext = lower(fs::path(path).extension().string());
  if (ext == ".gz") bytes = gzip_bytes(bytes.data(), bytes.size());
  write_file_atomic(path, bytes);
}

void write_png_grid(const std::string& path, const ImageSet& set, uint32_t cols) {
  check_image_set(set);
  if (set.n == 0) throw std::invalid_argument("write_png_grid: empty image set");
  if (cols == 0) cols = static_cast<uint32_t>(std::ceil(std::sqrt(static_cast<double>(set.n))));
  cols = std::min(cols, set.n);
  const uint32_t rows = (set.n + cols - 1) / cols;
  const uint64_t grid_w = uint64_t{cols} * (set.w + kGridPadding) + kGridPadding;
  const uint64_t grid_h = uint64_t{rows} * (set.h + kGridPadding) + kGridPadding;
  if (grid_w > 0x7fffffff || grid_h > 0x7fffffff ||
      grid_w * grid_h * set.c > (uint64_t{1} << 34)) {
    throw std::invalid_argument("write_png_grid: grid too large");
  }
  const size_t plane = static_cast<size_t>(grid_w * grid_h);
  std::vector<uint8_t> grid(plane * set.c, kGridPadValue);
  for (uint32_t i = 0; i < set.n; ++i) {
    const size_t x0 = size_t{i % cols} * (set.w + kGridPadding) + kGridPadding;
    const size_t y0 = size_t{i / cols} * (set.h + kGridPadding) + kGridPadding;
    const uint8_t* img = set.image(i);
    for (uint32_t k = 0; k < set.c; ++k) {
      for (uint32_t y = 0; y < set.h; ++y) {
        const uint8_t* src = img + (size_t{k} * set.h + y) * set.w;
        std::copy(src, src + set.w, grid.begin() + k * plane + (y0 + y) * grid_w + x0);
      }
    }
  }
  write_png(path, set.c, static_cast<uint32_t>(grid_h), static_cast<uint32_t>(grid_w),
            grid.data());
}

}  // namespace lbb
