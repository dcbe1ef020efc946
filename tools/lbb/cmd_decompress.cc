// lbb decompress IN.lbb|- [-o DIR | -o OUT.idx[.gz] | -c] [--model M] [--threads N] [-f]
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>

#include "coding/compression.h"
#include "common/errors.h"
#include "io/container_file.h"
#include "io/file_bytes.h"
#include "io/output_set.h"
#include "lbb_commands.h"
#include "options.h"
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

// The archive named on the command line, or standard input for "-".
Container read_input(const std::string& input) {
  if (input != "-") return read_container(input);
  const std::vector<uint8_t> bytes = read_stdin_bytes([](const std::vector<uint8_t>& head) {
    if (head.size() < 3 || head[0] != 'L' || head[1] != 'B' || head[2] != 'B')
      throw InputError("-: standard input is not an lbb file");
  });
  return parse_container(bytes, "-");
}

}  // namespace

void add_decompress_command(CLI::App& app) {
  struct Args {
    std::string input, out = ".", model;
    int threads = 0;
    bool force = false, to_stdout = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "decompress", "Decompress an .lbb file: every image under its stored name, checked against its CRC");
  cmd->add_option("input", args->input, "The .lbb file, or - for stdin")->required();
  cmd->add_option("-o,--out", args->out,
                  "Directory to write the images into (default: the current one; created if missing), an "
                  ".idx / .idx.gz file, or - for stdout (as -c)");
  cmd->add_flag("-c,--stdout", args->to_stdout, "Write the one image of a one-image file to stdout");
  cmd->add_option("--model,-m", args->model, "Model file (default: the one that made the file, by its id)");
  cmd->add_option("--threads,-T", args->threads, "Threads (0 = all cores)")->check(thread_count());
  cmd->add_flag("-f,--force", args->force, "Overwrite existing files (never deletes anything else)");
  cmd->callback([args] {
    const Container c = read_input(args->input);
    if (args->to_stdout && args->out != ".") throw InputError("-c writes to stdout: give it without -o");
    const bool to_stdout = args->to_stdout || args->out == "-";
    const bool idx = !to_stdout && (ends_with(args->out, ".idx") || ends_with(args->out, ".idx.gz"));
    const std::vector<std::string> inputs = {args->input};
    // Where every image goes, checked before anything is decoded or written.
    struct Output {
      size_t entry;
      uint32_t image;
    };
    std::vector<std::string> names;  // below args->out
    std::vector<Output> outputs;
    if (to_stdout) {
      uint64_t images = 0;
      for (const ContainerImage& e : c.images) images += e.count;
      if (images != 1)
        throw InputError(printable(args->input) + ": holds " + std::to_string(images) +
                         " images; -c writes a one-image file only (decompress into a directory instead)");
      if (::isatty(STDOUT_FILENO))
        throw IoError("-: standard output is a terminal; image data is not written to it (use -o or a pipe)");
    } else if (idx) {
      check_output_file(args->out, args->force);
      refuse_output_among_inputs(args->out, inputs);
    } else {
      for (size_t e = 0; e < c.images.size(); ++e) {
        if (!is_safe_relative_path(c.images[e].name))
          throw InputError(printable(args->input) + ": unsafe image name '" + printable(c.images[e].name) +
                           "' (absolute, or leaving the output directory)");
        ImageItem shape;
        shape.name = c.images[e].name;
        shape.format = static_cast<ImageFormat>(c.images[e].format);
        shape.channels = c.images[e].channels;
        shape.count = c.images[e].count;
        for (uint32_t i = 0; i < c.images[e].count; ++i) {
          const std::string name = item_output_name(shape, i);
          if (!is_safe_relative_path(name))
            throw InputError(printable(args->input) + ": unsafe image name '" + printable(name) + "'");
          names.push_back(name);
          outputs.push_back({e, i});
        }
      }
      check_output_paths(args->out, names, args->force);
      for (const std::string& name : names) refuse_output_among_inputs((std::filesystem::path(args->out) / name).string(), inputs);
    }
    std::vector<CodingModel> models;
    if (args->model.empty())
      models = find_models_for(c, args->input);
    else
      models.push_back(load_coding_model(args->model));
    std::vector<ImageItem> items;
    // Several candidates only for files whose id covers the weights alone (version 8 and
    // older): the first that decodes the file to its CRC is the one; else the first's error.
    std::exception_ptr first_error;
    for (const CodingModel& model : models) {
      try {
        ProgressBar bar("decompress", static_cast<int64_t>(c.total_subpixels()));
        items = decompress_items(model, c, args->threads, args->input,
                                 [&bar](int64_t done, int64_t) { bar.update(done); });
        first_error = nullptr;
        break;
      } catch (const InputError&) {
        if (!first_error) first_error = std::current_exception();
      }
    }
    if (first_error) std::rethrow_exception(first_error);
    int64_t images = 0;
    for (const ImageItem& item : items) images += item.count;
    if (to_stdout) {
      const ImageItem& item = items.at(0);
      write_stdout_bytes(encode_image_file(item.format, item.channels, item.h, item.w, item.pixels.data()));
    } else if (idx) {
      const ImageSet set = as_image_set(items, args->out);
      check_output_file(args->out, args->force);
      write_idx(args->out, set);
    } else {
      write_files_all_or_nothing(
          args->out, names,
          [&](size_t k) {
            const ImageItem& item = items[outputs[k].entry];
            const size_t size = size_t{item.channels} * item.h * item.w;
            return encode_image_file(item.format, item.channels, item.h, item.w,
                                     item.pixels.data() + outputs[k].image * size);
          },
          args->force);
    }
    std::fprintf(stderr, "%s: %lld images decoded and verified -> %s\n", printable(args->input).c_str(),
                 static_cast<long long>(images), to_stdout ? "stdout" : printable(args->out).c_str());
  });
}

}  // namespace lbb
