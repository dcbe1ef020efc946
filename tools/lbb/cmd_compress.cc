// lbb compress INPUTS... [-o OUT.lbb | -o -] [--model M] [--threads N] [--json] [-f]
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
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

// The model to code `items` with: --model, or the candidate that codes a sample of their
// tiles in the fewest bits (said on stderr when there was a choice), sampled on `threads`.
CodingModel choose_model(const std::string& model_arg, const std::vector<ImageItem>& items, bool float32,
                         int threads) {
  if (!model_arg.empty()) return load_coding_model(model_arg);
  std::vector<CodingModel> models = load_candidate_models();
  if (models.empty()) throw InputError("no model found (use --model, LBB_MODEL or LBB_MODEL_PATH)");
  if (models.size() == 1) return std::move(models[0]);
  // A model of the images' colour channel count (RGB for RGB photos) is preferred to one that
  // would code their planes one by one; among those, the sample decides.
  uint32_t colour = 0;
  for (const ImageItem& item : items) {
    const uint32_t c = colour_planes(item);
    colour = colour == 0 || colour == c ? c : UINT32_MAX;
  }
  const auto matches = [&](const CodingModel& m) { return m.config().channels == static_cast<int64_t>(colour); };
  const auto n_match = std::count_if(models.begin(), models.end(), matches);
  if (n_match == 1) {
    CodingModel only = std::move(*std::find_if(models.begin(), models.end(), matches));
    std::fprintf(stderr, "lbb: model %s (the one for %u-channel images)\n", only.path.c_str(), colour);
    return only;
  }
  const bool any_match = n_match > 0;
  CodingModel best;
  double best_bpd = INFINITY;
  for (CodingModel& m : models) {
    if (any_match && !matches(m)) continue;
    double dims = 0;
    const double bits = sample_tile_bits(m, float32, items, 32, &dims, threads);
    const double bpd = dims > 0 ? bits / dims : INFINITY;
    if (best.empty() || bpd < best_bpd) best_bpd = bpd, best = std::move(m);
  }
  std::fprintf(stderr, "lbb: model %s", best.path.c_str());
  if (std::isfinite(best_bpd)) std::fprintf(stderr, " (%.3f bits/dim on a sample of the tiles)", best_bpd);
  std::fprintf(stderr, "\n");
  return best;
}

// Without -o: one input X goes to X.lbb; standard input alone goes to standard output ("-").
std::string default_output(const std::vector<std::string>& inputs) {
  if (inputs.size() != 1 || inputs[0].find(':') != std::string::npos)
    throw InputError("several inputs: name the output with -o OUT.lbb");
  if (inputs[0] == "-") return "-";
  std::string s = inputs[0];
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s + ".lbb";
}

}  // namespace

void add_compress_command(CLI::App& app) {
  struct Args {
    std::string model, out;
    std::vector<std::string> inputs;
    int threads = 0, streams = 0, precision = 32;
    double sigma = 0x1p-14;
    bool json = false, force = false, f64 = false, exhaustive = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("compress", "Compress images losslessly (local bits-back coding)");
  cmd->add_option("inputs", args->inputs,
                  "Images: PNG/PGM/PPM files, directories (recursive), IDX files, fmnist:test[:N], - (one PNG/PNM "
                  "image from stdin)")
      ->required();
  cmd->add_option("-o,--out", args->out,
                  "Output .lbb file (default: the one input + .lbb; stdout for -), - for stdout");
  cmd->add_option("--model,-m", args->model, "Model file (default: the shipped model that codes the input best)");
  cmd->add_option("--threads,-T", args->threads, "Threads (0 = all cores); never changes the output")
      ->check(thread_count());
  cmd->add_option("--streams", args->streams, "Independent streams coded in parallel (default: 2 per 16M subpixels, 1 below 256K: each stream starts with tiles coded directly)")
      ->check(integer_in_range(0, 1 << 20));
  cmd->add_option("--precision,-k", args->precision, "Grid precision k: values on a 2^-k grid")
      ->capture_default_str()->check(integer_in_range(8, 40));
  cmd->add_option("--sigma", args->sigma, "Local bits-back noise sigma")->capture_default_str()
      ->check(in_range(1e-12, 0.5));
  cmd->add_flag("--f64", args->f64,
                "Evaluate the flow's networks in float64 (default: float32 networks and activations, 1.5-2x faster, "
                "the same size within 0.002 bits/dim; the file records which)");
  cmd->add_flag("--exhaustive", args->exhaustive,
                "Try the flow on every tile (default: not on tiles like those where it lost before in the same "
                "stream; on photographs a third fewer tries for under 0.01 % more bytes)");
  cmd->add_flag("--json", args->json, "Print one JSON object with the figures (also computes theoretical_bpd)");
  cmd->add_flag("-f,--force", args->force, "Overwrite the output file");
  cmd->callback([args] {
    const std::string out = args->out.empty() ? default_output(args->inputs) : args->out;
    const bool to_stdout = out == "-";
    if (to_stdout && ::isatty(STDOUT_FILENO))
      throw IoError("-: standard output is a terminal; compressed data is not written to it (use -o FILE or a pipe)");
    if (!to_stdout) {
      check_output_file(out, args->force);
      refuse_output_among_inputs(out, input_file_paths(args->inputs));
    }
    const std::vector<ImageItem> items = load_image_items(args->inputs);
    CodingModel model = choose_model(args->model, items, !args->f64, args->threads);
    CompressOptions opt;
    opt.coding.precision_bits = args->precision;
    opt.coding.sigma = args->sigma;
    opt.threads = args->threads;
    opt.streams = args->streams;
    opt.theoretical = args->json;
    opt.exhaustive = args->exhaustive;
    opt.float32_networks = opt.float32_activations = !args->f64;
    CompressReport r;
    Container c;
    {
      int64_t total = 0;
      for (const ImageItem& item : items) total += static_cast<int64_t>(item.pixels.size());
      ProgressBar bar("compress", total);
      opt.progress = [&bar](int64_t done, int64_t) { bar.update(done); };
      c = compress_items(model, items, opt, &r);
    }
    // The figures go to stdout, or to stderr when stdout carries the archive.
    FILE* report = stdout;
    if (to_stdout) {
      write_stdout_bytes(serialize_container(c));
      report = stderr;
    } else {
      write_container(out, c);
    }
    if (args->json) {
      std::fprintf(report, "%s\n", r.json().c_str());
    } else {
      std::fprintf(report, "%s: %lld images, %llu bytes, %.4f bits/dim; %lld tiles (%lld flow, %lld direct), %.1f s "
                  "(%.2f s/megapixel)\n",
                  printable(out).c_str(), static_cast<long long>(r.images), static_cast<unsigned long long>(r.total_bytes),
                  8.0 * r.total_bytes / static_cast<double>(r.dims), static_cast<long long>(r.tiles),
                  static_cast<long long>(r.flow_tiles()), static_cast<long long>(r.direct_tiles()), r.seconds,
                  r.seconds / std::max(r.megapixels, 1e-9));
    }
  });
}

}  // namespace lbb
