// Speed of the deterministic evaluator (flow/det_flow.h) against LibTorch, per image, on the
// whole model (dequantizer q(u|x) + logit + main flow + prior), forward only:
//   bench_det_flow [--config C] [--seconds S] [--threads "1 2"]
// det float64 / float32 networks: one image at a time, images spread over T std::threads;
// LibTorch float32 / float64: batch 1 and batch 64, torch::set_num_threads(T).
// Also the det main flow's inverse (Newton), the decoder's extra cost.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>

#include "det/det_parallel.h"
#include "det/det_flow.h"
#include "flow/flow_model.h"
#include "flow/model_io.h"

#ifndef LBB_DEFAULT_CONFIG
#define LBB_DEFAULT_CONFIG "configs/fmnist_flowpp.cfg"
#endif

using namespace lbb;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Seconds per call of fn (one warm-up call, then repeated for about `seconds`).
template <typename Fn>
double per_call(double seconds, Fn fn) {
  fn();
  const double start = now();
  int calls = 0;
  double t = 0;
  do {
    fn();
    ++calls;
    t = now() - start;
  } while (t < seconds);
  return t / calls;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = LBB_DEFAULT_CONFIG, thread_list = "1 2";
  double seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) config_path = argv[++i];
    else if (a == "--seconds" && i + 1 < argc) seconds = std::stod(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) thread_list = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_det_flow [--config C] [--seconds S] [--threads \"1 2\"]\n");
      return 2;
    }
  }
  std::vector<int> threads;
  std::istringstream tl(thread_list);
  for (int t; tl >> t;) threads.push_back(t);

  FlowConfig cfg = load_flow_config(config_path);
  FlowModel model(cfg);
  {
    // Non-trivial weights (the zero-initialized output convs would make couplings identities).
    torch::NoGradGuard no_grad;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
    for (auto& p : model->parameters()) p.add_(torch::randn(p.sizes(), gen) * 0.05);
  }
  model->eval();
  TensorArchive archive = model_to_archive(model);
  archive.meta["format"] = "lbb-model";
  archive.meta["config"] = to_text(cfg);
  DetFlowModel det64 = DetFlowModel::from_archive(archive, "bench", DetPrecision::kFloat64);
  DetFlowModel det32 = DetFlowModel::from_archive(archive, "bench", DetPrecision::kFloat32);

  const int64_t batch = 64, d = det64.base_shape().size();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  torch::Tensor x = torch::randint(0, 256, {batch, cfg.channels, cfg.height, cfg.width}, gen).to(torch::kUInt8);
  torch::Tensor xb = model->to_base(x).to(torch::kFloat64).contiguous();
  torch::Tensor eps = torch::randn(xb.sizes(), gen, torch::kFloat64).contiguous();
  const double* xp = xb.data_ptr<double>();
  const double* ep = eps.data_ptr<double>();

  std::printf("config %s: D = %lld, base %lldx%lldx%lld, %lld parameters\n", config_path.c_str(),
              static_cast<long long>(cfg.dims()), static_cast<long long>(det64.base_shape().c),
              static_cast<long long>(det64.base_shape().h), static_cast<long long>(det64.base_shape().w),
              static_cast<long long>(parameter_count(*model)));
  std::printf("%-44s %8s %12s\n", "whole model forward (dequantizer + flow)", "threads", "ms/image");

  for (const DetFlowModel* det : {&det64, &det32}) {
    const char* name = det == &det64 ? "det, float64 nets" : "det, float32 nets";
    for (int t : threads) {
      const int64_t n = 4 * t;
      const double s = per_call(seconds, [&] {
        parallel_items(n, t, [&](int64_t i, DetScratch& scratch) {
          det->nll_terms(xp + i * d, ep + i * d, nullptr, nullptr, scratch);
        });
      });
      std::printf("%-44s %8d %12.2f\n", name, t, 1e3 * s / static_cast<double>(n));
    }
  }
  {
    // Decoder side: the main flow's inverse (Newton per transformed element).
    std::vector<double> z(static_cast<size_t>(d)), y(static_cast<size_t>(d));
    DetScratch scratch;
    det64.nll_terms(xp, ep, nullptr, z.data(), scratch);
    const double s = per_call(seconds, [&] { det64.flow_inverse(z.data(), y.data(), scratch); });
    std::printf("%-44s %8d %12.2f\n", "det, float64 nets: main flow inverse", 1, 1e3 * s);
  }

  torch::NoGradGuard no_grad;
  for (torch::ScalarType type : {torch::kFloat32, torch::kFloat64}) {
    model->to(type);
    torch::Tensor xbt = xb.to(type), epst = eps.to(type);
    for (int t : threads) {
      torch::set_num_threads(t);
      for (int64_t b : {int64_t{1}, batch}) {
        torch::Tensor xs = xbt.narrow(0, 0, b), es = epst.narrow(0, 0, b);
        const double s = per_call(seconds, [&] {
          if (model->dequantizer) {
            auto [u, log_q] = model->dequantizer->transform(xs / 255.0 - 0.5, es);
            model->nll_terms_given_u(xs, u, log_q);
          } else {
            model->nll_terms_given_u(xs, torch::sigmoid(es), torch::zeros({b}, es.options()));
          }
        });
        char label[64];
        std::snprintf(label, sizeof label, "LibTorch %s, batch %lld", type == torch::kFloat32 ? "float32" : "float64",
                      static_cast<long long>(b));
        std::printf("%-44s %8d %12.2f\n", label, t, 1e3 * s / static_cast<double>(b));
      }
    }
  }
  return 0;
}
