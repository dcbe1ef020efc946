#include "train/evaluate.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace lbb {

Tensor image_batch(const ImageSet& set, int64_t first, int64_t count) {
  const int64_t size = static_cast<int64_t>(set.image_size());
  Tensor out = torch::empty({count, set.c, set.h, set.w}, torch::kUInt8);
  std::memcpy(out.data_ptr<uint8_t>(), set.pixels.data() + first * size, count * size);
  return out;
}

Tensor image_batch(const ImageSet& set, const std::vector<int64_t>& indices) {
  const int64_t size = static_cast<int64_t>(set.image_size());
  Tensor out = torch::empty({static_cast<int64_t>(indices.size()), set.c, set.h, set.w}, torch::kUInt8);
  uint8_t* dst = out.data_ptr<uint8_t>();
  for (size_t i = 0; i < indices.size(); ++i)
    std::memcpy(dst + i * size, set.pixels.data() + indices[i] * size, size);
  return out;
}

namespace {

// One dequantization-bound sample per row of `x`, with u for row r drawn from a generator
// seeded by seeds[r], so that a row's value does not depend on the rest of the batch.
Tensor bound_bpd(FlowModel& model, const Tensor& x, const std::vector<uint64_t>& seeds) {
  const auto& cfg = model->config;
  auto opts = torch::TensorOptions().dtype(model->parameters().front().scalar_type());
  Tensor xb = model->to_base(x).to(opts);
  const int64_t n = x.size(0);
  Tensor u, log_q;
  if (model->dequantizer) {
    std::vector<Tensor> eps;
    for (int64_t r = 0; r < n; ++r) {
      auto gen = at::make_generator<at::CPUGeneratorImpl>(seeds[r]);
      eps.push_back(torch::randn(xb.sizes().slice(1), gen, opts));
    }
    std::tie(u, log_q) = model->dequantizer->transform(xb / 255.0 - 0.5, torch::stack(eps));
  } else {
    std::vector<Tensor> us;
    for (int64_t r = 0; r < n; ++r) {
      auto gen = at::make_generator<at::CPUGeneratorImpl>(seeds[r]);
      us.push_back(torch::rand(xb.sizes().slice(1), gen, opts));
    }
    u = torch::stack(us);
    log_q = torch::zeros({n}, opts);
  }
  return model->nll_terms_given_u(xb, u, log_q).bpd(cfg.dims()).to(torch::kFloat64);
}

}  // namespace

EvalResult evaluate(FlowModel& model, const ImageSet& set, const EvalOptions& opt) {
  if (set.c != model->config.channels || set.h != model->config.height ||
      set.w != model->config.width)
    throw std::runtime_error("images are " + std::to_string(set.c) + "x" + std::to_string(set.h) +
                             "x" + std::to_string(set.w) + " but the model was trained on " +
                             std::to_string(model->config.channels) + "x" +
                             std::to_string(model->config.height) + "x" +
                             std::to_string(model->config.width));
  auto start = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  if (opt.f64) model->to(torch::kFloat64);
  EvalResult r;
  r.images = set.n;
  r.dims = model->config.dims();
  const double ln2 = std::log(2.0);
  double sum = 0, sum_iw = 0;
  const int64_t k = std::max<int64_t>(1, opt.samples);
  // With K samples, one pass holds `per_pass` copies of one image.
  const int64_t step = k == 1 ? std::max<int64_t>(1, opt.batch) : 1;
  for (int64_t first = 0; first < set.n; first += step) {
    const int64_t count = std::min<int64_t>(step, set.n - first);
    if (k == 1) {
      std::vector<uint64_t> seeds;
      for (int64_t i = 0; i < count; ++i) seeds.push_back(opt.seed * 1000003ULL + first + i);
      Tensor b = bound_bpd(model, image_batch(set, first, count), seeds);
      for (int64_t i = 0; i < count; ++i) r.per_image_bpd.push_back(b[i].item<double>());
    } else {
      Tensor x = image_batch(set, first, 1);
      std::vector<Tensor> bounds;
      const int64_t chunk = std::max<int64_t>(1, opt.batch);
      for (int64_t s = 0; s < k; s += chunk) {
        const int64_t m = std::min(chunk, k - s);
        std::vector<uint64_t> seeds;
        for (int64_t j = 0; j < m; ++j)
          seeds.push_back((opt.seed * 1000003ULL + first) * 1000003ULL + s + j);
        bounds.push_back(bound_bpd(model, x.expand({m, x.size(1), x.size(2), x.size(3)}), seeds));
      }
      Tensor b = torch::cat(bounds);  // per-sample bound in bpd
      r.per_image_bpd.push_back(b.mean().item<double>());  // the single-sample bound, averaged over K
      // log mean_k exp(−bits_k · ln 2): the importance-weighted log-likelihood (nats / dim·ln2)
      Tensor log_w = -b * (ln2 * r.dims);
      double log_mean = (torch::logsumexp(log_w, 0) - std::log(static_cast<double>(k))).item<double>();
      sum_iw += -log_mean / (ln2 * r.dims);
    }
    if (opt.progress) opt.progress(first + count, set.n);
  }
  for (double v : r.per_image_bpd) sum += v;
  r.bpd = set.n ? sum / set.n : 0;
  r.bpd_iw = set.n && k > 1 ? sum_iw / set.n : r.bpd;
  if (opt.f64) model->to(torch::kFloat32);
  if (was_training) model->train();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace lbb
