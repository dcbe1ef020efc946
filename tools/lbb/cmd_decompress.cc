// lbb decompress IN.lbb -o OUT [--threads N]   (OUT: a directory of PNGs, or an .idx[.gz] file)
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.h"
#include "coding/compression.h"
#include "flow/model_io.h"
#include "io/errors.h"
#include "progress.h"

namespace lbb {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Writes the PNGs into a fresh sibling directory and renames it into place, so that a
// failure leaves no partial output directory behind.
void write_png_directory(const std::string& out, const ImageSet& images) {
  namespace fs = std::filesystem;
  fs::path target(out);
  fs::path tmp = target.parent_path() / (".tmp-" + target.filename().string() + "-" + std::to_string(getpid()));
  try {
    fs::remove_all(tmp);
    write_image_set_pngs(tmp.string(), images);
    fs::rename(tmp, target);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace

void add_decompress_command(CLI::App& app) {
  struct Args {
    std::string input, out, model;
    int threads = 0;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("decompress", "Decompress an .lbb file (every image checked against its CRC)");
  cmd->add_option("input", args->input, "The .lbb file")->required();
  cmd->add_option("-o,--out", args->out, "Output: a directory (PNG files) or an .idx / .idx.gz file")->required();
  cmd->add_option("--model,-m", args->model, "Model file (default: the shipped model)");
  cmd->add_option("--threads,-T", args->threads, "Threads (0 = all cores)");
  cmd->add_flag("-f,--force", args->force, "Replace an existing output");
  cmd->callback([args] {
    namespace fs = std::filesystem;
    if (fs::exists(args->out) && !args->force)
      throw std::runtime_error(args->out + ": already exists (use --force to replace it)");
    Container c = read_container(args->input);
    const std::string model_path = args->model.empty() ? default_model_path() : args->model;
    CodingModel model = load_coding_model(model_path);
    ImageSet images;
    {
      ProgressBar bar("decompress", c.header.n);
      images = decompress_images(model, c, args->threads, args->input,
                                 [&bar](int64_t done) { bar.update(done); });
    }
    if (ends_with(args->out, ".idx") || ends_with(args->out, ".idx.gz")) {
      write_idx(args->out, images);
    } else {
      if (fs::exists(args->out)) fs::remove_all(args->out);
      write_png_directory(args->out, images);
    }
    std::fprintf(stderr, "%s: %u images decoded and verified -> %s\n", args->input.c_str(), images.n,
                 args->out.c_str());
  });
}

}  // namespace lbb
