// Image items: inputs loaded file by file (any size, layout and alpha), their stored names,
// and the files they are written back as.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>
#include <utility>

#include "common/errors.h"
#include "io/file_bytes.h"
#include "io/image_files.h"
#include "io/images.h"

namespace lbb {
namespace {

namespace fs = std::filesystem;

// One item to load: its stored name, and where its bytes come from.
struct ItemSource {
  std::string name;  // stored name (see load_image_items)
  std::string path;  // file to read: the input as given (+ "/" + relative path in a directory)
  std::string spec;  // the "fmnist:..." input for a Fashion-MNIST item, else empty
  uint64_t max_images = std::numeric_limits<uint64_t>::max();  // IDX images to keep
  std::vector<uint8_t> stdin_bytes = {};  // the image read from standard input, for path "-"
};

// Standard input as an item: one PNG or PNM image, named "stdin.png" / ".pgm" / ".ppm" / ".pnm".
ItemSource stdin_source() {
  std::vector<uint8_t> bytes = read_stdin_bytes([](const std::vector<uint8_t>& head) {
    const FileKind kind = sniff_file_kind(head);
    if (kind != FileKind::kPng && kind != FileKind::kPnm)
      throw InputError(head.empty() ? "-: standard input is empty" : "-: standard input is not a PNG or PNM image");
  });
  std::string name = "stdin.png";
  if (sniff_file_kind(bytes) == FileKind::kPnm)
    name = bytes[1] == '2' || bytes[1] == '5' ? "stdin.pgm" : bytes[1] == '3' || bytes[1] == '6' ? "stdin.ppm" : "stdin.pnm";
  ItemSource source{name, "-", ""};
  source.stdin_bytes = std::move(bytes);
  return source;
}

// The stored name of an input path: a relative path lexically normalized, without leading
// ".." parts (as tar stores "../x" as "x"); an absolute path by its last part alone
// ("/home/u/photos" as "photos", so that it comes back below the output directory and not
// under "home/u"). "" for "/", "." and the like.
std::string stored_path_name(const std::string& path) {
  fs::path normal = fs::path(path).lexically_normal();
  if (normal.is_absolute()) {
    fs::path last;
    for (const fs::path& part : normal.relative_path())
      if (!part.empty() && part != "." && part != "..") last = part;
    normal = last;
  }
  fs::path out;
  bool leading = true;  // still in the leading ".." parts
  for (const fs::path& part : normal.relative_path()) {  // without the root "/"
    const std::string text = part.string();
    if (text.empty() || text == ".") continue;  // "dir/" ends in an empty part
    if (leading && text == "..") continue;
    leading = false;
    out /= part;
  }
  return out.generic_string();
}

// Appends the image files under `dir` (path to open) as (relative path, path) pairs,
// relative paths starting with `rel_prefix`. Hidden entries are skipped; symbolic links to
// directories are not followed (so there are no cycles); links to files are. A broken link,
// FIFO, socket or device is an error naming it (never skipped silently, never opened).
void list_image_files(const fs::path& dir, const std::string& rel_prefix,
                      std::vector<std::pair<std::string, std::string>>& out) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  const auto cannot_list = [&] { return InputError(printable(dir.string()) + ": cannot list directory: " + ec.message()); };
  if (ec) throw cannot_list();
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) throw cannot_list();
    const std::string file_name = it->path().filename().string();
    if (file_name.empty() || file_name[0] == '.') continue;
    const std::string rel = rel_prefix + file_name;
    std::error_code kind_ec;
    const fs::file_status link = it->symlink_status(kind_ec);
    if (fs::is_directory(link)) {
      list_image_files(it->path(), rel + "/", out);
      continue;
    }
    const fs::file_status target = it->status(kind_ec);
    if (fs::is_symlink(link) && !fs::exists(target))
      throw InputError(printable(it->path().string()) + ": broken symbolic link in an input directory");
    if (!fs::is_directory(target) && !fs::is_regular_file(target))
      throw InputError(printable(it->path().string()) +
                       ": not a regular file (a device, FIFO or socket) in an input directory");
    if (fs::is_regular_file(target) && is_image_file_name(file_name)) out.emplace_back(rel, it->path().string());
  }
  if (ec) throw cannot_list();
}

// The items one input names, in load order (a directory's files sorted by relative path).
std::vector<ItemSource> item_sources(const std::string& input) {
  if (input == "-") return {stdin_source()};
  if (is_fmnist_spec(input)) {
    FmnistSource fmnist = find_fmnist(input);
    return {ItemSource{"fmnist-" + fmnist.split, std::move(fmnist.path), input, fmnist.count}};
  }
  const bool directory = is_existing_directory(input);
  const std::string base = stored_path_name(input);
  if (!directory) {
    if (base.empty()) throw InputError(input + ": cannot make a stored name from this path");
    return {ItemSource{base, input, ""}};
  }
  std::vector<std::pair<std::string, std::string>> files;  // (relative path, path)
  list_image_files(fs::path(input), "", files);
  if (files.empty()) throw InputError(input + ": directory has no PNG/PGM/PPM files");
  // std::string compares as unsigned bytes (char_traits<char>::lt).
  std::sort(files.begin(), files.end());
  std::vector<ItemSource> sources;
  sources.reserve(files.size());
  for (auto& [rel, path] : files) {
    sources.push_back(ItemSource{base.empty() ? rel : base + "/" + rel, std::move(path), ""});
  }
  return sources;
}

// An IDX array (ImageSet rules: c in {1,3}, n >= 1) as one kIdx item.
ImageItem idx_item(ImageSet&& set) {
  ImageItem item;
  item.format = ImageFormat::kIdx;
  item.channels = set.c;
  item.h = set.h;
  item.w = set.w;
  item.count = set.n;
  item.pixels = std::move(set.pixels);
  return item;
}

// Decodes one file's bytes by content; errors name `path`.
ImageItem decode_item_bytes(const std::vector<uint8_t>& bytes, const std::string& path,
                            uint64_t max_images) {
  switch (sniff_file_kind(bytes)) {
    case FileKind::kPng: return decode_png_item(bytes, path);
    case FileKind::kPnm: return decode_pnm_item(bytes, path);
    case FileKind::kIdx: return idx_item(decode_idx(bytes, path, max_images));
    case FileKind::kGzip: {
      const std::vector<uint8_t> raw = gunzip_idx(bytes, path);
      return idx_item(decode_idx(raw, path, max_images));
    }
    case FileKind::kUnknown: break;
  }
  if (bytes.empty()) throw InputError(path + ": empty file");
  throw InputError(path + ": unrecognized file type (expected PNG, PGM, PPM or IDX)");
}

ImageItem load_item(const ItemSource& source) {
  ImageItem item = source.path == "-" ? decode_item_bytes(source.stdin_bytes, "-", 1)
                                      : decode_item_bytes(read_file_bytes(source.path), source.path, source.max_images);
  if (!source.spec.empty()) {
    if (item.format != ImageFormat::kIdx) {
      throw InputError(source.spec + ": " + source.path + " is not an IDX file");
    }
    if (source.max_images != std::numeric_limits<uint64_t>::max() &&
        item.count < source.max_images) {
      throw InputError(source.spec + ": asked for " + std::to_string(source.max_images) +
                       " images but " + source.path + " has only " + std::to_string(item.count));
    }
  }
  item.name = source.name;
  return item;
}

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

std::vector<ImageItem> load_image_items(const std::vector<std::string>& inputs) {
  if (inputs.empty()) throw InputError("no inputs given");
  // All names first: a clash is reported before any file is decoded.
  std::vector<ItemSource> sources;
  std::map<std::string, std::string> origin;  // stored name -> the path or spec it came from
  if (std::count(inputs.begin(), inputs.end(), "-") > 1) throw InputError("-: standard input given more than once");
  for (const std::string& input : inputs) {
    for (ItemSource& source : item_sources(input)) {
      const std::string& from = source.spec.empty() ? source.path : source.spec;
      const auto [it, fresh] = origin.emplace(source.name, from);
      if (!fresh) {
        throw InputError(source.name + ": two inputs have this name (" + it->second + " and " +
                         from + "); rename one or store them separately");
      }
      sources.push_back(std::move(source));
    }
  }
  std::vector<ImageItem> items;
  items.reserve(sources.size());
  for (const ItemSource& source : sources) items.push_back(load_item(source));
  return items;
}

std::vector<std::string> input_file_paths(const std::vector<std::string>& inputs) {
  std::vector<std::string> paths;
  for (const std::string& input : inputs) {
    if (input == "-") continue;
    for (const ItemSource& source : item_sources(input)) paths.push_back(source.path);
  }
  return paths;
}

std::vector<uint8_t> encode_image_file(ImageFormat format, uint32_t channels, uint32_t h,
                                       uint32_t w, const uint8_t* pixels) {
  switch (format) {
    case ImageFormat::kPng:
    case ImageFormat::kIdx:
      return encode_png(channels, h, w, pixels);
    case ImageFormat::kPnm:
      return encode_pnm(channels, h, w, pixels);
  }
  throw std::invalid_argument("encode_image_file: unknown format " +
                              std::to_string(static_cast<int>(format)));
}

std::string item_output_name(const ImageItem& item, uint32_t i) {
  if (i >= item.count) {
    throw std::invalid_argument("item_output_name: image " + std::to_string(i) + " of " +
                                std::to_string(item.count));
  }
  if (item.format != ImageFormat::kIdx) return item.name;
  // Strip the suffixes from the last path component, never down to nothing.
  std::string stem = item.name;
  const size_t slash = stem.rfind('/');
  const size_t start = slash == std::string::npos ? 0 : slash + 1;
  for (bool cut = true; cut;) {
    cut = false;
    for (const std::string suffix : {".gz", ".idx", "-ubyte"}) {
      if (stem.size() - start > suffix.size() &&
          lower(stem.substr(stem.size() - suffix.size())) == suffix) {
        stem.resize(stem.size() - suffix.size());
        cut = true;
      }
    }
  }
  const size_t digits = std::max<size_t>(5, std::to_string(item.count - 1).size());
  const std::string number = std::to_string(i);
  return stem + "-" + std::string(digits - number.size(), '0') + number + ".png";
}

}  // namespace lbb
