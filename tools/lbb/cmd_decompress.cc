// lbb decompress IN.lbb [-o DIR | -o OUT.idx[.gz]] [--model M] [--threads N] [-f]
#include <cstdio>
#include <filesystem>
#include <memory>

#include "coding/compression.h"
#include "common/errors.h"
#include "io/container_file.h"
#include "io/output_set.h"
#include "lbb_commands.h"
#include "model_search.h"
#include "progress.h"

namespace lbb {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// All images as one ImageSet (for an IDX output): they must share one grey or RGB shape.
ImageSet as_image_set(const std::vector<ImageItem>& items, const std::string& out) {
  ImageSet set;
  for (const ImageItem& item : items) {
    if ((item.channels != 1 && item.channels != 3) ||
        (set.n > 0 && (item.channels != set.c || item.h != set.h || item.w != set.w)))
      throw InputError(out + ": an IDX file holds images of one grey or RGB shape; " + item.name +
                       " does not fit (decompress into a directory instead)");
    set.c = item.channels, set.h = item.h, set.w = item.w;
    set.n += item.count;
    set.pixels.insert(set.pixels.end(), item.pixels.begin(), item.pixels.end());
    for (uint32_t i = 0; i < item.count; ++i) set.names.push_back(item.name + "#" + std::to_string(i));
  }
  return set;
}

}  // namespace

void add_decompress_command(CLI::App& app) {
  struct Args {
    std::string input, out = ".", model;
    int threads = 0;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "decompress", "Decompress an .lbb file: every image under its stored name, checked against its CRC");
  cmd->add_option("input", args->input, "The .lbb file")->required();
  cmd->add_option("-o,--out", args->out,
                  "Directory to write the images into (default: the current one; created if missing), or an "
                  ".idx / .idx.gz file");
  cmd->add_option("--model,-m", args->model, "Model file (default: the one that made the file, by its id)");
  cmd->add_option("--threads,-T", args->threads, "Threads (0 = all cores)");
  cmd->add_flag("-f,--force", args->force, "Overwrite existing files (never deletes anything else)");
  cmd->callback([args] {
    namespace fs = std::filesystem;
    const Container c = read_container(args->input);
    const bool idx = ends_with(args->out, ".idx") || ends_with(args->out, ".idx.gz");
    // Where every image goes, checked before anything is decoded or written.
    struct Output {
      size_t entry;
      uint32_t image;
    };
    std::vector<std::string> paths;
    std::vector<Output> outputs;
    if (idx) {
      paths.push_back(args->out);
    } else {
      for (size_t e = 0; e < c.images.size(); ++e) {
        if (!is_safe_relative_path(c.images[e].name))
          throw InputError(args->input + ": unsafe image name '" + c.images[e].name.substr(0, 200) +
                           "' (absolute, or leaving the output directory)");
        ImageItem shape;
        shape.name = c.images[e].name;
        shape.format = static_cast<ImageFormat>(c.images[e].format);
        shape.channels = c.images[e].channels;
        shape.count = c.images[e].count;
        for (uint32_t i = 0; i < c.images[e].count; ++i) {
          const std::string name = item_output_name(shape, i);
          if (!is_safe_relative_path(name)) throw InputError(args->input + ": unsafe image name '" + name + "'");
          paths.push_back((fs::path(args->out) / name).string());
          outputs.push_back({e, i});
        }
      }
    }
    check_output_paths(paths, args->force);
    const CodingModel model = args->model.empty() ? find_model_for(c, args->input) : load_coding_model(args->model);
    std::vector<ImageItem> items;
    {
      ProgressBar bar("decompress", static_cast<int64_t>(c.total_subpixels()));
      items = decompress_items(model, c, args->threads, args->input,
                               [&bar](int64_t done, int64_t) { bar.update(done); });
    }
    int64_t images = 0;
    for (const ImageItem& item : items) images += item.count;
    if (idx) {
      const ImageSet set = as_image_set(items, args->out);
      if (fs::exists(args->out) && !args->force) throw IoError(args->out + ": already exists (use -f to overwrite)");
      write_idx(args->out, set);
    } else {
      write_files_all_or_nothing(
          paths,
          [&](size_t k) {
            const ImageItem& item = items[outputs[k].entry];
            const size_t size = size_t{item.channels} * item.h * item.w;
            return encode_image_file(item.format, item.channels, item.h, item.w,
                                     item.pixels.data() + outputs[k].image * size);
          },
          args->force);
    }
    std::fprintf(stderr, "%s: %lld images decoded and verified -> %s\n", args->input.c_str(),
                 static_cast<long long>(images), args->out.c_str());
  });
}

}  // namespace lbb
