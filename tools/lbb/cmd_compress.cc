// lbb compress [--model M] INPUTS... -o OUT.lbb [--threads N] [--json]
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.h"
#include "coding/compression.h"
#include "flow/model_io.h"
#include "progress.h"

namespace lbb {

void add_compress_command(CLI::App& app) {
  struct Args {
    std::string model, out;
    std::vector<std::string> inputs;
    int threads = 0, streams = 0, precision = 32;
    double sigma = 0x1p-14;
    bool json = false, force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("compress", "Compress images losslessly (local bits-back coding)");
  cmd->add_option("inputs", args->inputs, "Images: fmnist:test[:N], an IDX file, PNG/PGM/PPM files or directories")
      ->required();
  cmd->add_option("-o,--out", args->out, "Output .lbb file")->required();
  cmd->add_option("--model,-m", args->model, "Model file (default: the shipped model)");
  cmd->add_option("--threads,-T", args->threads, "Threads (0 = all cores); never changes the output");
  cmd->add_option("--streams", args->streams, "Independent streams coded in parallel (default: min(images, 2))")
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option("--precision,-k", args->precision, "Grid precision k: values on a 2^-k grid")
      ->capture_default_str()->check(CLI::Range(8, 40));
  cmd->add_option("--sigma", args->sigma, "Local bits-back noise sigma")->capture_default_str()
      ->check(CLI::Range(1e-12, 0.5));
  cmd->add_flag("--json", args->json, "Print one JSON object with the figures");
  cmd->add_flag("-f,--force", args->force, "Overwrite the output file");
  cmd->callback([args] {
    if (!args->force && std::filesystem::exists(args->out))
      throw std::runtime_error(args->out + ": already exists (use --force to overwrite)");
    const std::string model_path = args->model.empty() ? default_model_path() : args->model;
    CodingModel model = load_coding_model(model_path);
    ImageSet images = load_images(args->inputs);
    CompressOptions opt;
    opt.coding.precision_bits = args->precision;
    opt.coding.sigma = args->sigma;
    opt.threads = args->threads;
    opt.streams = args->streams;
    ProgressBar bar("compress", images.n);
    opt.progress = [&bar](int64_t done) { bar.update(done); };
    CompressReport r;
    Container c = compress_images(model, images, opt, &r);
    write_container(args->out, c);
    const double d = static_cast<double>(r.dims);
    const double total_bpd = 8.0 * r.total_bytes / d;
    // Dimensions of the flow-coded images (the rest were coded by the direct model).
    const double flow_d = static_cast<double>(r.images - r.direct_images) * (d / std::max<int64_t>(1, r.images));
    if (args->json) {
      std::printf("{\"images\": %lld, \"dims\": %lld, \"theoretical_bpd\": %.6f, \"net_bpd\": %.6f, "
                  "\"aux_bits\": %llu, \"total_bytes\": %llu, \"total_bpd\": %.6f, \"seconds\": %.3f, "
                  "\"direct_images\": %lld, \"flow_theoretical_bpd\": %.6f, \"flow_net_bpd\": %.6f, "
                  "\"streams\": %zu, \"precision_bits\": %d, \"sigma\": %.9g}\n",
                  static_cast<long long>(r.images), static_cast<long long>(r.dims), r.theoretical_bits / d,
                  r.net_bits / d, static_cast<unsigned long long>(r.aux_bits),
                  static_cast<unsigned long long>(r.total_bytes), total_bpd, r.seconds,
                  static_cast<long long>(r.direct_images), flow_d > 0 ? r.flow_theoretical_bits / flow_d : 0.0,
                  flow_d > 0 ? r.flow_net_bits / flow_d : 0.0, c.streams.size(), args->precision, args->sigma);
    } else {
      std::printf("%s: %lld images, %llu bytes, %.4f bits/dim (theoretical %.4f, net %.4f, aux %llu bits), "
                  "%.1f s\n",
                  args->out.c_str(), static_cast<long long>(r.images),
                  static_cast<unsigned long long>(r.total_bytes), total_bpd, r.theoretical_bits / d,
                  r.net_bits / d, static_cast<unsigned long long>(r.aux_bits), r.seconds);
    }
  });
}

}  // namespace lbb
