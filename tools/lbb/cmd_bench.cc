// lbb bench [--model M] --data D [--json]: in one run, the time of the network's forward pass
// over the images (the same deterministic evaluator the coder uses), of encoding and of
// decoding them with local bits-back coding, and the ratios (thesis Tables 3.4 and 3.5).
// Measured with one thread (images one at a time: "batch 1") and with all threads
// (images spread over the threads: "batch N"). No LibTorch here: `lbb bench` runs in the
// torch-free lbb; lbb-train's bench also shows LibTorch's float32 forward, for scale.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "coding/compression.h"
#include "commands.h"
#include "io/images.h"
#include "model_search.h"

namespace lbb {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

struct Timing {
  int threads = 1;
  double forward = 0, encode = 0, decode = 0;
};

// Forward, encode, decode of every image on `threads` threads, each image on its own
// message (pre-filled with bits to lend, so every image takes the flow's coding path).
Timing time_coding(const CodingModel& model, const FlowCoder& coder, const ImageSet& images, int threads) {
  const int64_t n = images.n, d = model.flow->dims();
  Timing t;
  t.threads = threads;
  std::vector<Message> messages(n);
  std::vector<Message> initial(n);
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < 48 * d; ++j) messages[i].push((uint64_t(j) * 0x9E3779B97F4A7C15ull) >> 11, uint64_t{1} << 52);
    initial[i] = messages[i];
  }
  auto start = std::chrono::steady_clock::now();
  DetFlowModel::parallel_images(n, threads, [&](int64_t i, DetScratch& s) {
    std::vector<double> img(images.image(i), images.image(i) + d), base(d), eps(d, 0.0), u(d);
    model.flow->to_base(img.data(), base.data());
    model.flow->nll_terms(base.data(), eps.data(), u.data(), nullptr, s);
  });
  t.forward = seconds_since(start);
  start = std::chrono::steady_clock::now();
  DetFlowModel::parallel_images(n, threads, [&](int64_t i, DetScratch& s) { coder.encode(messages[i], images.image(i), s); });
  t.encode = seconds_since(start);
  std::vector<uint8_t> decoded(images.pixels.size());
  start = std::chrono::steady_clock::now();
  DetFlowModel::parallel_images(n, threads, [&](int64_t i, DetScratch& s) {
    coder.decode(messages[i], decoded.data() + i * d, s);
  });
  t.decode = seconds_since(start);
  if (decoded != images.pixels) throw std::runtime_error("bench: decoded images differ from the input (bug)");
  for (int64_t i = 0; i < n; ++i)
    if (messages[i] != initial[i]) throw std::runtime_error("bench: message not restored (bug)");
  return t;
}

}  // namespace

void add_bench_command(CLI::App& app, TorchForward torch_forward) {
  struct Args {
    std::string model;
    std::vector<std::string> data;
    int threads = 0;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("bench", "Time forward pass, encoding and decoding side by side");
  cmd->add_option("--model,-m", args->model, "Model file (default: the shipped model)");
  cmd->add_option("--data,data", args->data, "Images")->required();
  cmd->add_option("--threads,-T", args->threads, "Threads for the parallel run (0 = all cores)");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args, torch_forward] {
    const std::string path = args->model.empty() ? default_model_file() : args->model;
    CodingModel model = load_coding_model(path);
    ImageSet images = load_images(args->data);
    FlowCoder coder(*model.flow, CodingParams{});
    const int all = args->threads > 0 ? args->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const Timing one = time_coding(model, coder, images, 1);
    const Timing par = time_coding(model, coder, images, all);
    // LibTorch float32 forward (not deterministic across batch sizes; for scale only).
    const TorchForwardSeconds torch = torch_forward ? torch_forward(path, images, all) : TorchForwardSeconds{};
    if (args->json) {
      std::printf("{\"images\": %u, \"threads\": %d, \"forward_seconds\": %.4f, \"encode_seconds\": %.4f, "
                  "\"decode_seconds\": %.4f, \"encode_ratio\": %.4f, \"decode_ratio\": %.4f, "
                  "\"single_thread\": {\"forward_seconds\": %.4f, \"encode_seconds\": %.4f, \"decode_seconds\": %.4f, "
                  "\"encode_ratio\": %.4f, \"decode_ratio\": %.4f}",
                  images.n, all, par.forward, par.encode, par.decode, par.encode / par.forward,
                  par.decode / par.forward, one.forward, one.encode, one.decode, one.encode / one.forward,
                  one.decode / one.forward);
      if (torch_forward)
        std::printf(", \"libtorch_f32_forward_seconds_batch1\": %.4f, \"libtorch_f32_forward_seconds_batch64\": %.4f",
                    torch.batch1, torch.batch64);
      std::printf("}\n");
    } else {
      std::printf("%u images, deterministic evaluator (the coder's networks)\n", images.n);
      for (const Timing* t : {&one, &par})
        std::printf("  %d thread%s: forward %.2f s, encode %.2f s (%.2fx), decode %.2f s (%.2fx)\n", t->threads,
                    t->threads == 1 ? " " : "s", t->forward, t->encode, t->encode / t->forward, t->decode,
                    t->decode / t->forward);
      if (torch_forward)
        std::printf("LibTorch float32 forward, %d threads: batch 1 %.2f s, batch 64 %.2f s\n", all, torch.batch1,
                    torch.batch64);
    }
  });
}

}  // namespace lbb
