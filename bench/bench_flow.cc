// Training and forward-only throughput of a flow model (default: the shipped config).
//   bench_flow [--config C] [--threads N] [--seconds S] [--json]
// Prints images/s for a training step (forward + backward + Adam-free update) at the
// config's batch size, and for forward-only evaluation at batch 1 and batch 64.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "flow/flow_model.h"
#include "train/threads.h"

#ifndef LBB_DEFAULT_CONFIG
#define LBB_DEFAULT_CONFIG "configs/fmnist_flowpp.cfg"
#endif

using namespace lbb;

namespace {

// Runs fn repeatedly for about `seconds` (after one warm-up call); returns calls per second.
template <typename Fn>
double rate(double seconds, Fn fn) {
  fn();
  auto start = std::chrono::steady_clock::now();
  int calls = 0;
  double t = 0;
  do {
    fn();
    ++calls;
    t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (t < seconds);
  return calls / t;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = LBB_DEFAULT_CONFIG;
  int threads = 0;
  double seconds = 10;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) config_path = argv[++i];
    else if (a == "--threads" && i + 1 < argc) threads = std::stoi(argv[++i]);
    else if (a == "--seconds" && i + 1 < argc) seconds = std::stod(argv[++i]);
    else if (a == "--json") json = true;
    else {
      std::fprintf(stderr, "usage: bench_flow [--config C] [--threads N] [--seconds S] [--json]\n");
      return 2;
    }
  }
  configure_threads(threads);
  FlowConfig cfg = load_flow_config(config_path);
  FlowModel model(cfg);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const int64_t batch = cfg.batch;
  Tensor x = torch::randint(0, 256, {batch, cfg.channels, cfg.height, cfg.width}, gen).to(torch::kUInt8);
  model->train();
  model->nll_terms(x, gen);  // data-dependent init
  double train_steps = rate(seconds, [&] {
    for (auto& p : model->parameters()) p.mutable_grad() = Tensor();
    model->nll_terms(x, gen).bpd(cfg.dims()).mean().backward();
  });
  model->eval();
  torch::NoGradGuard no_grad;
  Tensor x1 = x.narrow(0, 0, 1);
  Tensor x64 = torch::randint(0, 256, {64, cfg.channels, cfg.height, cfg.width}, gen).to(torch::kUInt8);
  double fwd1 = rate(seconds / 2, [&] { model->nll_terms(x1, gen); });
  double fwd64 = rate(seconds / 2, [&] { model->nll_terms(x64, gen); });
  const double train_ips = train_steps * batch, fwd1_ips = fwd1, fwd64_ips = fwd64 * 64;
  if (json) {
    std::printf("{\"config\": \"%s\", \"parameters\": %lld, \"threads\": %d, \"batch\": %lld, "
                "\"train_images_per_s\": %.2f, \"forward_images_per_s_batch1\": %.2f, "
                "\"forward_images_per_s_batch64\": %.2f}\n",
                config_path.c_str(), static_cast<long long>(parameter_count(*model)),
                torch::get_num_threads(), static_cast<long long>(batch), train_ips, fwd1_ips, fwd64_ips);
  } else {
    std::printf("config %s: %lld parameters, %d threads\n", config_path.c_str(),
                static_cast<long long>(parameter_count(*model)), torch::get_num_threads());
    std::printf("training (batch %lld):   %8.1f images/s\n", static_cast<long long>(batch), train_ips);
    std::printf("forward, batch 1:        %8.1f images/s\n", fwd1_ips);
    std::printf("forward, batch 64:       %8.1f images/s\n", fwd64_ips);
  }
  return 0;
}
