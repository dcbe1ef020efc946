// lbb bench [--model M] --data D [--json]: in one run, the time of the network's forward pass
// over the images (the same deterministic evaluator the coder uses), of encoding and of
// decoding them with local bits-back coding, and the ratios (thesis Tables 3.4 and 3.5).
// Measured with one thread (images one at a time: "batch 1"), with all threads (images spread
// over the threads: "batch N") and with all threads on each image in turn (a DetTeam, as a
// single stream decodes); each the fastest of --repeat runs. No LibTorch here: `lbb bench` runs in the
// torch-free lbb; lbb-train's bench also shows LibTorch's float32 forward, for scale.
// Then, where the time goes (issue: coding speed): one thread's encode and decode by part
// (det_profile.h), the floating-point operations per image, the evaluator's GFLOP/s, the entropy
// coding's share (windowed-Gaussian codings counted, times their cost measured alone), and the
// machine's own limit measured in the same run: OpenBLAS dgemm and sgemm GFLOP/s (loaded with
// dlopen when present, so that lbb itself links no BLAS).
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "coding/compression.h"
#include "common/openblas_kernels.h"
#include "det/det_parallel.h"
#include "det/det_fused_kernels.h"
#include "det/det_profile.h"
#include "io/images.h"
#include "lbb_commands.h"
#include "options.h"
#include "model/windowed_gaussian.h"
#include "model_search.h"
#include "train/crops.h"

namespace lbb {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A message holding `pushes` pseudo-random 52-bit symbols: bits to lend, so that a flow encode (or the pops of a timing loop) never reaches the message's bottom.
Message message_with_bits(int64_t pushes) {
  Message m;
  for (int64_t j = 0; j < pushes; ++j) m.push((uint64_t(j) * 0x9E3779B97F4A7C15ull) >> 11, uint64_t{1} << 52);
  return m;
}

struct Timing {
  int threads = 1;
  bool team = false;  // one image at a time, all threads on it (a DetTeam)
  double forward = 0, encode = 0, decode = 0;
};

// fn(i, scratch) for every image: spread over `threads` workers, or (team) one image at a time
// on one worker whose team has all `threads`.
void for_images(int64_t n, int threads, bool team, const std::function<void(int64_t, DetScratch&)>& fn) {
  if (!team) return parallel_items(n, threads, fn);
  parallel_items(1, threads, [&](int64_t, DetScratch& s) {
    for (int64_t i = 0; i < n; ++i) fn(i, s);
  });
}

// Forward, encode, decode of every image, each image on its own message (pre-filled with bits
// to lend, so every image takes the flow's coding path). Each is timed `repeats` times, the
// three in turn, after a warm-up pass over a few images; the fastest time of each counts.
Timing time_coding(const FlowCoder& coder, const ImageSet& images, int threads, bool team,
                   int repeats) {
  const DetFlowModel& flow = coder.model();  // the coder's networks, forward timed with them
  const int64_t n = images.n, d = flow.dims();
  Timing t;
  t.threads = threads, t.team = team;
  const std::vector<Message> initial(n, message_with_bits(48 * d));
  std::vector<Message> messages;
  std::vector<uint8_t> decoded(images.pixels.size());
  auto forward = [&](int64_t i, DetScratch& s) {
    const DetArithmeticScope arithmetic(s, coder.params().products, coder.params().activations);  // the coder's arithmetic
    std::vector<double> img(images.image(i), images.image(i) + d), base(d), eps(d, 0.0), u(d);
    flow.to_base(img.data(), base.data());
    flow.nll_terms(base.data(), eps.data(), u.data(), nullptr, s);
  };
  auto encode = [&](int64_t i, DetScratch& s) { coder.encode(messages[i], images.image(i), s); };
  auto decode = [&](int64_t i, DetScratch& s) { coder.decode(messages[i], decoded.data() + i * d, s); };
  auto timed = [&](int64_t count, const std::function<void(int64_t, DetScratch&)>& fn) {
    const auto start = std::chrono::steady_clock::now();
    for_images(count, threads, team, fn);
    return seconds_since(start);
  };
  const int64_t warm = std::min<int64_t>(n, 2 * threads);
  messages = initial;
  timed(warm, forward), timed(warm, encode), timed(warm, decode);
  t.forward = t.encode = t.decode = 1e300;
  for (int r = 0; r < repeats; ++r) {
    messages = initial;
    std::fill(decoded.begin(), decoded.end(), uint8_t{0});
    t.forward = std::min(t.forward, timed(n, forward));
    t.encode = std::min(t.encode, timed(n, encode));
    t.decode = std::min(t.decode, timed(n, decode));
    if (decoded != images.pixels) throw std::runtime_error("bench: decoded images differ from the input (bug)");
    for (int64_t i = 0; i < n; ++i)
      if (messages[i] != initial[i]) throw std::runtime_error("bench: message not restored (bug)");
  }
  return t;
}

// Every image encoded, then decoded, on one thread with a profile of each.
struct CodingProfile {
  DetProfile encode, decode;
};
CodingProfile profile_coding(const FlowCoder& coder, const ImageSet& images) {
  const int64_t d = coder.model().dims();
  CodingProfile p;
  DetScratch s;
  std::vector<Message> messages(images.n, message_with_bits(48 * d));
  s.profile = &p.encode;
  p.encode.start();
  for (int64_t i = 0; i < images.n; ++i) coder.encode(messages[i], images.image(i), s);
  p.encode.stop();
  std::vector<uint8_t> out(d);
  s.profile = &p.decode;
  p.decode.start();
  for (int64_t i = 0; i < images.n; ++i) coder.decode(messages[i], out.data(), s);
  p.decode.stop();
  return p;
}

// Seconds of one windowed-Gaussian push or pop on the coder's latent grid (σ-wide, as most are).
double seconds_per_gaussian_coding(const FlowCoder& coder) {
  const GridSpec& g = coder.latent_grid();
  const double sigma = coder.params().sigma;
  constexpr int kOps = 200000;
  Message m = message_with_bits(4096);
  std::vector<uint64_t> idx(kOps);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kOps; ++i) idx[i] = pop_windowed_gaussian(m, 0.001 * (i % 97), sigma, g);
  for (int i = kOps; i-- > 0;) push_windowed_gaussian(m, idx[i], 0.001 * (i % 97), sigma, g);
  return seconds_since(start) / (2.0 * kOps);
}

// OpenBLAS dgemm / sgemm GFLOP/s on n×n matrices with `threads` threads; < 0 if OpenBLAS is
// not installed.
struct GemmRate {
  double dgemm = -1, sgemm = -1;
  std::string core;  // the kernels OpenBLAS runs (openblas_get_corename)
};
GemmRate measure_gemm(int threads) {
  using Dgemm = void (*)(int, int, int, int, int, int, double, const double*, int, const double*, int, double,
                         double*, int);
  using Sgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*,
                         int);
  using SetThreads = void (*)(int);
  GemmRate r;
  choose_openblas_kernels();  // no effect once OpenBLAS is loaded (lbb-train): `core` says what ran
  void* lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return r;
  r.core = openblas_core_name(lib);
  const auto dgemm = reinterpret_cast<Dgemm>(dlsym(lib, "cblas_dgemm"));
  const auto sgemm = reinterpret_cast<Sgemm>(dlsym(lib, "cblas_sgemm"));
  const auto set_threads = reinterpret_cast<SetThreads>(dlsym(lib, "openblas_set_num_threads"));
  if (!dgemm || !sgemm || !set_threads) return r;
  set_threads(threads);
  constexpr int n = 1024, kRowMajor = 101, kNoTrans = 111;
  const double flops = 2.0 * n * n * n;
  auto rate = [&](auto gemm, auto zero) {
    using T = decltype(zero);
    std::vector<T> a(size_t{n} * n), b(size_t{n} * n), c(size_t{n} * n);
    for (size_t i = 0; i < a.size(); ++i) a[i] = T(1) + T(i % 7) / 8, b[i] = T(1) - T(i % 5) / 8;
    gemm(kRowMajor, kNoTrans, kNoTrans, n, n, n, T(1), a.data(), n, b.data(), n, T(0), c.data(), n);  // warm up
    int reps = 0;
    const auto start = std::chrono::steady_clock::now();
    do {
      gemm(kRowMajor, kNoTrans, kNoTrans, n, n, n, T(1), a.data(), n, b.data(), n, T(0), c.data(), n);
      ++reps;
    } while (seconds_since(start) < 0.5);
    return reps * flops / seconds_since(start) * 1e-9;
  };
  r.dgemm = rate(dgemm, 0.0);
  r.sgemm = rate(sgemm, 0.0f);
  return r;
}

}  // namespace

void add_bench_command(CLI::App& app, TorchForward torch_forward) {
  struct Args {
    std::string model;
    std::vector<std::string> data;
    int threads = 0;
    int repeats = 3;
    bool json = false, f64 = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("bench", "Time forward pass, encoding and decoding side by side");
  cmd->add_option("--model,-m", args->model, "Model file (default: the shipped model)");
  cmd->add_option("--data,data", args->data, "Images")->required();
  cmd->add_option("--threads,-T", args->threads, "Threads for the parallel run (0 = all cores)")
      ->check(thread_count());
  cmd->add_option("--repeat,-r", args->repeats, "Times each measurement is repeated (the fastest counts)")
      ->check(integer_in_range(1, 100));
  cmd->add_flag("--f64", args->f64, "The networks in float64 (as compress --f64; default float32, as compress)");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args, torch_forward] {
    const std::string path = args->model.empty() ? default_model_file() : args->model;
    CodingModel model = load_coding_model(path);
    // Whole images of any size, by the model's tiles (edges that fill no tile are left out).
    const DetShape tile = model.networks(!args->f64).image_shape();
    const std::vector<ImageItem> items = load_image_items(args->data);
    const ImageSet images = full_tiles(items, static_cast<uint32_t>(tile.c), static_cast<uint32_t>(tile.h),
                                       static_cast<uint32_t>(tile.w));
    CodingParams params;  // compress's arithmetic: float32 networks and activations, or float64
    params.activations = args->f64 ? DetActivations::kDouble : DetActivations::kFloat32;
    FlowCoder coder(model.networks(!args->f64), params);
    const int all = args->threads > 0 ? args->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const Timing one = time_coding(coder, images, 1, false, args->repeats);
    const Timing par = time_coding(coder, images, all, false, args->repeats);
    const Timing team = time_coding(coder, images, all, true, args->repeats);
    // LibTorch float32 forward (not deterministic across batch sizes; for scale only).
    const TorchForwardSeconds torch = torch_forward ? torch_forward(path, images, all) : TorchForwardSeconds{};
    const CodingProfile prof = profile_coding(coder, images);
    const double per_coding = seconds_per_gaussian_coding(coder);
    const GemmRate gemm1 = measure_gemm(1), gemm_all = measure_gemm(all);
    const double n = images.n;
    const double flops = prof.encode.total_flops() / n;  // the networks' (decode: the same)
    const int conv = static_cast<int>(DetPart::kConvolution), attn = static_cast<int>(DetPart::kAttention);
    const double kernel_gflops = (prof.encode.flops[conv] + prof.encode.flops[attn]) /
                                 (prof.encode.seconds[conv] + prof.encode.seconds[attn]) * 1e-9;
    const double forward_gflops1 = flops * n / one.forward * 1e-9, forward_gflops = flops * n / par.forward * 1e-9;
    const double coding_encode = prof.encode.gaussian_codings * per_coding;
    const double coding_decode = prof.decode.gaussian_codings * per_coding;
    const bool fused = coder.params().products == DetProducts::kFused;
    if (args->json) {
      std::printf("{\"images\": %u, \"threads\": %d, \"forward_seconds\": %.4f, \"encode_seconds\": %.4f, "
                  "\"decode_seconds\": %.4f, \"encode_ratio\": %.4f, \"decode_ratio\": %.4f, "
                  "\"single_thread\": {\"forward_seconds\": %.4f, \"encode_seconds\": %.4f, \"decode_seconds\": %.4f, "
                  "\"encode_ratio\": %.4f, \"decode_ratio\": %.4f}",
                  images.n, all, par.forward, par.encode, par.decode, par.encode / par.forward,
                  par.decode / par.forward, one.forward, one.encode, one.decode, one.encode / one.forward,
                  one.decode / one.forward);
      std::printf(", \"team\": {\"forward_seconds\": %.4f, \"encode_seconds\": %.4f, \"decode_seconds\": %.4f}",
                  team.forward, team.encode, team.decode);
      std::printf(", \"parts\": {");
      for (int i = 0; i < kDetParts; ++i)
        std::printf("%s\"%s\": {\"encode_seconds\": %.4f, \"decode_seconds\": %.4f, \"gflop\": %.4f}", i ? ", " : "",
                    det_part_name(static_cast<DetPart>(i)), prof.encode.seconds[i], prof.decode.seconds[i],
                    prof.encode.flops[i] * 1e-9);
      std::printf("}, \"entropy_coding_seconds\": {\"encode\": %.4f, \"decode\": %.4f}, \"flops_per_image\": %.0f, "
                  "\"kernel_gflops_1thread\": %.3f, \"forward_gflops_1thread\": %.3f, \"forward_gflops\": %.3f, "
                  "\"dgemm_gflops_1thread\": %.3f, \"sgemm_gflops_1thread\": %.3f, \"dgemm_gflops\": %.3f, "
                  "\"sgemm_gflops\": %.3f, \"openblas_core\": \"%s\", \"products\": \"%s\", \"kernel\": \"%s\", "
                  "\"networks\": \"%s\"",
                  coding_encode, coding_decode, flops, kernel_gflops, forward_gflops1, forward_gflops, gemm1.dgemm,
                  gemm1.sgemm, gemm_all.dgemm, gemm_all.sgemm, gemm1.core.c_str(), fused ? "fused" : "separate",
                  fused ? fused_conv_kernel().isa : "vector-extension", args->f64 ? "float64" : "float32");
      if (torch_forward)
        std::printf(", \"libtorch_f32_forward_seconds_batch1\": %.4f, \"libtorch_f32_forward_seconds_batch64\": %.4f",
                    torch.batch1, torch.batch64);
      std::printf("}\n");
    } else {
      std::printf("%u images, deterministic evaluator (the coder's networks), fastest of %d runs\n", images.n,
                  args->repeats);
      for (const Timing* t : {&one, &par, &team})
        std::printf("  %d thread%s%s: forward %.2f s, encode %.2f s (%.2fx), decode %.2f s (%.2fx)\n", t->threads,
                    t->threads == 1 ? " " : "s", t->team ? " on each image" : (t->threads > 1 ? ", images spread" : ""),
                    t->forward, t->encode, t->encode / t->forward, t->decode, t->decode / t->forward);
      if (torch_forward)
        std::printf("LibTorch float32 forward, %d threads: batch 1 %.2f s, batch 64 %.2f s\n", all, torch.batch1,
                    torch.batch64);
      const double te = prof.encode.total_seconds(), td = prof.decode.total_seconds();
      std::printf("where the time goes (1 thread, profiled run: encode %.2f s, decode %.2f s)\n", te, td);
      std::printf("  %-28s %9s %6s %9s %6s %9s\n", "part", "encode s", "share", "decode s", "share", "GFLOP/s");
      for (int i = 0; i < kDetParts; ++i) {
        const double gf = prof.encode.flops[i] > 0 ? prof.encode.flops[i] / prof.encode.seconds[i] * 1e-9 : 0;
        std::printf("  %-28s %9.3f %5.1f%% %9.3f %5.1f%% ", det_part_name(static_cast<DetPart>(i)),
                    prof.encode.seconds[i], 100 * prof.encode.seconds[i] / te, prof.decode.seconds[i],
                    100 * prof.decode.seconds[i] / td);
        if (gf > 0) std::printf("%9.2f\n", gf); else std::printf("%9s\n", "-");
      }
      std::printf("  of which entropy coding       %9.3f %5.1f%% %9.3f %5.1f%%   (%lld Gaussian codings x %.0f ns)\n",
                  coding_encode, 100 * coding_encode / te, coding_decode, 100 * coding_decode / td,
                  static_cast<long long>(prof.encode.gaussian_codings), per_coding * 1e9);
      std::printf("networks: %.1f MFLOP per image (%s, %s products, %s kernel); convolutions+attention %.2f "
                  "GFLOP/s; whole forward %.2f GFLOP/s (1 thread), %.2f GFLOP/s (%d threads)\n",
                  flops * 1e-6, args->f64 ? "float64" : "float32", fused ? "fused" : "separate", fused ? fused_conv_kernel().isa : "vector-extension",
                  kernel_gflops, forward_gflops1, forward_gflops, all);
      if (gemm1.dgemm > 0)
        std::printf("machine (OpenBLAS 1024x1024, %s kernels): dgemm %.2f / sgemm %.2f GFLOP/s (1 thread), dgemm "
                    "%.2f / sgemm %.2f GFLOP/s (%d threads)\n",
                    gemm1.core.c_str(), gemm1.dgemm, gemm1.sgemm, gemm_all.dgemm, gemm_all.sgemm, all);
      else
        std::printf("machine: OpenBLAS (libopenblas.so.0) not found, dgemm/sgemm not measured\n");
    }
  });
}

}  // namespace lbb
