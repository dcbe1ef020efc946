#include "train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <sstream>

#include "coding/compression.h"
#include "common/crc.h"
#include "common/errors.h"
#include "flow/model_io.h"
#include "train/crops.h"
#include "train/distributed.h"
#include "train/evaluate.h"

namespace lbb {

namespace {

using Clock = std::chrono::steady_clock;

std::string hms(double seconds) {
  long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

// Adam (Kingma & Ba) with bias correction; its state lives in plain tensors so that the
// checkpoint can hold it in a TensorArchive.
struct Adam {
  std::vector<Tensor> params, m, v;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  int64_t step = 0;

  explicit Adam(std::vector<Tensor> ps) : params(std::move(ps)) {
    for (auto& p : params) {
      m.push_back(torch::zeros_like(p));
      v.push_back(torch::zeros_like(p));
    }
  }
  void update(double lr) {
    torch::NoGradGuard no_grad;
    ++step;
    const double bc1 = 1 - std::pow(beta1, step), bc2 = 1 - std::pow(beta2, step);
    for (size_t i = 0; i < params.size(); ++i) {
      const Tensor& g = params[i].grad();
      if (!g.defined()) continue;
      m[i].mul_(beta1).add_(g, 1 - beta1);
      v[i].mul_(beta2).addcmul_(g, g, 1 - beta2);
      Tensor denom = (v[i] / bc2).sqrt_().add_(eps);
      params[i].addcdiv_(m[i], denom, -lr / bc1);
    }
  }
};

// Global L2 norm of the gradients, then scales them down to max_norm if larger.
double clip_gradients(const std::vector<Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  double sq = 0;
  for (const auto& p : params)
    if (p.grad().defined()) sq += p.grad().pow(2).sum().item<double>();
  const double norm = std::sqrt(sq);
  if (max_norm > 0 && norm > max_norm)
    for (const auto& p : params)
      if (p.grad().defined()) p.grad().mul_(max_norm / (norm + 1e-12));
  return norm;
}

void append_tensors(TensorArchive* a, const std::string& prefix, const std::vector<Tensor>& ts) {
  for (size_t i = 0; i < ts.size(); ++i) {
    Tensor c = ts[i].detach().contiguous();
    NamedTensor nt;
    nt.name = prefix + std::to_string(i);
    nt.shape.assign(c.sizes().begin(), c.sizes().end());
    nt.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    a->tensors.push_back(std::move(nt));
  }
}

void read_tensors(const TensorArchive& a, const std::string& prefix, std::vector<Tensor>* ts,
                  const std::string& origin) {
  std::map<std::string, const NamedTensor*> by_name;
  for (const auto& t : a.tensors) by_name[t.name] = &t;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < ts->size(); ++i) {
    auto it = by_name.find(prefix + std::to_string(i));
    Tensor& t = (*ts)[i];
    if (it == by_name.end() || static_cast<int64_t>(it->second->data.size()) != t.numel())
      throw InputError(origin + ": checkpoint lacks `" + prefix + std::to_string(i) + "`");
    t.copy_(torch::from_blob(const_cast<float*>(it->second->data.data()), t.sizes(), torch::kFloat32));
  }
}

std::string meta_or(const TensorArchive& a, const std::string& key, const std::string& fallback) {
  auto it = a.meta.find(key);
  return it == a.meta.end() ? fallback : it->second;
}

}  // namespace

TrainResult train(const FlowConfig& config, const ImageSet& data, const TrainOptions& opt) {
  if (data.n == 0) throw InputError("training data: no images");
  if (data.c != config.channels || data.h != config.height || data.w != config.width)
    throw InputError("training data is " + std::to_string(data.c) + "x" + std::to_string(data.h) +
                     "x" + std::to_string(data.w) + " but the config says " +
                     std::to_string(config.channels) + "x" + std::to_string(config.height) + "x" +
                     std::to_string(config.width));
  const std::string ckpt_path = opt.out + ".ckpt";
  const double lr = opt.lr > 0 ? opt.lr : config.lr;
  const int64_t batch = std::min<int64_t>(opt.batch > 0 ? opt.batch : config.batch, data.n);
  const bool tty = isatty(fileno(stderr));

  // Data-parallel when WORLD_SIZE > 1 (distributed.h): every rank draws the same global batch,
  // takes its rows r, r + W, ... (DistributedSampler's split), and the gradients are averaged
  // in one all-reduce; only rank 0 reads and writes the model and the checkpoint.
  const DistributedEnv denv = DistributedEnv::from_environment();
  std::unique_ptr<DataParallel> dp;
  if (denv.active()) {
    if (batch % denv.world_size != 0)
      throw InputError("the batch of " + std::to_string(batch) + " images does not split over " +
                       std::to_string(denv.world_size) + " ranks (use --batch)");
    dp = std::make_unique<DataParallel>(denv);
  }
  const bool writer = !dp || dp->rank() == 0;
  const Tensor my_rows = dp ? torch::arange(dp->rank(), batch, dp->world_size(), torch::kInt64) : Tensor();

  FlowModel model(config);
  model->train();
  std::vector<Tensor> params = model->parameters();
  Adam adam(params);
  std::vector<Tensor> ema;
  for (auto& p : params) ema.push_back(p.detach().clone());
  TrainResult result;
  double prior_seconds = 0;
  bool ema_ready = false;  // EMA starts from the weights after data-dependent init

  if (opt.resume && writer) {
    if (!std::filesystem::exists(ckpt_path))
      throw InputError(ckpt_path + ": no checkpoint to resume from");
    TensorArchive ck = load_archive(ckpt_path);
    if (meta_or(ck, "format", "") != "lbb-checkpoint")
      throw InputError(ckpt_path + ": not an lbb training checkpoint");
    if (meta_or(ck, "config", "") != to_text(config))
      throw InputError(ckpt_path + ": checkpoint was made with another config (use the same --config)");
    load_model_tensors(model, ck, ckpt_path, "model.");
    read_tensors(ck, "ema.", &ema, ckpt_path);
    read_tensors(ck, "adam_m.", &adam.m, ckpt_path);
    read_tensors(ck, "adam_v.", &adam.v, ckpt_path);
    adam.step = std::stoll(meta_or(ck, "step", "0"));
    prior_seconds = std::stod(meta_or(ck, "train_seconds", "0"));
    ema_ready = true;
    if (!opt.quiet)
      std::fprintf(stderr, "resumed from %s at step %lld (%s trained)\n", ckpt_path.c_str(),
                   static_cast<long long>(adam.step), hms(prior_seconds).c_str());
  }
  auto model_state = [&]() {  // what rank 0 broadcasts to make the ranks' models equal
    std::vector<Tensor> state = model->parameters();
    for (const auto& b : model->buffers()) state.push_back(b);
    return state;
  };
  if (dp && opt.resume) {
    // Rank 0's checkpoint, whatever world size wrote it, on every rank.
    std::vector<Tensor> state = model_state();
    state.insert(state.end(), ema.begin(), ema.end());
    state.insert(state.end(), adam.m.begin(), adam.m.end());
    state.insert(state.end(), adam.v.begin(), adam.v.end());
    Tensor scalars = torch::tensor({static_cast<double>(adam.step), prior_seconds}, torch::kFloat64);
    state.push_back(scalars);
    dp->broadcast(state);
    adam.step = static_cast<int64_t>(scalars[0].item<double>());
    prior_seconds = scalars[1].item<double>();
    ema_ready = true;
  }
  bool dp_synced = !dp || opt.resume;  // a fresh run syncs after the data-dependent init

  auto swap_in_ema = [&]() {  // returns the live weights so they can be restored
    torch::NoGradGuard no_grad;
    std::vector<Tensor> live;
    for (size_t i = 0; i < params.size(); ++i) {
      live.push_back(params[i].detach().clone());
      params[i].copy_(ema[i]);
    }
    return live;
  };
  auto restore = [&](const std::vector<Tensor>& live) {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(live[i]);
  };

  // The direct model that codes the first images of each compressed stream (compression.h).
  const std::vector<NamedTensor> direct = {fit_direct_model_tensor(data)};
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  auto save_all = [&](double train_seconds) {
    std::map<std::string, std::string> meta = {
        {"trained_steps", std::to_string(adam.step)},
        {"train_seconds", std::to_string(train_seconds)},
        {"train_images", std::to_string(data.n)}};
    TensorArchive ck = model_to_archive(model, "model.");
    append_tensors(&ck, "ema.", ema);
    append_tensors(&ck, "adam_m.", adam.m);
    append_tensors(&ck, "adam_v.", adam.v);
    ck.meta = {{"format", "lbb-checkpoint"}, {"config", to_text(config)},
               {"step", std::to_string(adam.step)}, {"train_seconds", std::to_string(train_seconds)}};
    save_archive(ckpt_path, ck);
    auto live = swap_in_ema();
    if (opt.eval_set) {
      EvalOptions eo;
      eo.batch = 250;
      result.eval_bpd = evaluate(model, *opt.eval_set, eo).bpd;
      meta["eval_bpd"] = std::to_string(result.eval_bpd);
      meta["eval_images"] = std::to_string(opt.eval_set->n);
      model->train();
    }
    save_model(opt.out, model, meta, direct);
    restore(live);
  };

  std::mt19937_64 rng(config.seed + 7777 * static_cast<uint64_t>(adam.step));
  std::vector<int64_t> order(data.n);
  std::iota(order.begin(), order.end(), 0);
  size_t cursor = order.size();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(config.seed * 31 + adam.step);

  double running = 0, weight = 0;
  double allreduce_seconds = 0;  // this run's time in the gradient all-reduce (data-parallel)
  int64_t images_seen = 0;
  double last_log = 0, last_ckpt = 0;
  const int64_t first_step = adam.step;
  while (true) {
    if (opt.steps > 0 && adam.step >= opt.steps) break;
    if (opt.minutes > 0) {
      // Rank 0's clock decides for every rank (they must stop at the same step).
      const bool up = elapsed() >= opt.minutes * 60;
      if (dp ? dp->sum(writer && up ? 1.0 : 0.0) > 0 : up) break;
    }
    Tensor x;
    if (opt.crops) {
      x = image_batch(opt.crops->sample(static_cast<uint32_t>(batch), rng), 0, batch);
    } else {
      if (cursor + batch > order.size()) {
        std::shuffle(order.begin(), order.end(), rng);
        cursor = 0;
      }
      std::vector<int64_t> idx(order.begin() + cursor, order.begin() + cursor + batch);
      cursor += batch;
      x = image_batch(data, idx);
    }

    if (!dp_synced) {
      // The data-dependent initialization on the whole global batch, with the noise the step
      // below draws (a copy of the generator), as one process would; then rank 0's weights.
      {
        torch::NoGradGuard no_grad;
        at::Generator init_gen = gen.clone();
        model->nll_terms(x, init_gen);
      }
      std::vector<Tensor> state = model_state();
      dp->broadcast(state);
      dp_synced = true;
    }
    Tensor bpd = (dp ? model->nll_terms_rows(x, gen, my_rows) : model->nll_terms(x, gen)).bpd(config.dims()).mean();
    // The global batch's mean (every rank's rows are as many), the same on every rank.
    const double value = dp ? dp->sum(bpd.item<double>()) / dp->world_size() : bpd.item<double>();
    if (!std::isfinite(value))
      throw TrainingDiverged("training diverged at step " + std::to_string(adam.step + 1) +
                             ": loss is " + std::to_string(value) +
                             "; the last checkpoint is " + ckpt_path +
                             " (resume with --resume, perhaps with a lower --lr)");
    for (auto& p : params) p.mutable_grad() = Tensor();
    bpd.backward();
    if (dp) {
      const auto t0 = Clock::now();
      dp->average_gradients(params);
      allreduce_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    const double norm = clip_gradients(params, config.grad_clip);
    if (!std::isfinite(norm))
      throw TrainingDiverged("training diverged at step " + std::to_string(adam.step + 1) +
                             ": gradient norm is not finite; the last checkpoint is " + ckpt_path);
    const double warm = config.warmup_steps > 0
                            ? std::min(1.0, static_cast<double>(adam.step + 1) / config.warmup_steps)
                            : 1.0;
    adam.update(lr * warm);
    {
      torch::NoGradGuard no_grad;
      if (!ema_ready) {
        for (size_t i = 0; i < params.size(); ++i) ema[i].copy_(params[i]);
        ema_ready = true;
      } else {
        // Bias toward the live weights early on: decay_t = min(decay, (1 + t) / (10 + t)).
        const double d = std::min(config.ema_decay, (1.0 + adam.step) / (10.0 + adam.step));
        for (size_t i = 0; i < params.size(); ++i) ema[i].mul_(d).add_(params[i], 1 - d);
      }
    }
    if (adam.step == first_step + 1) result.first_bpd = value;
    images_seen += batch;
    running = 0.98 * running + value;
    weight = 0.98 * weight + 1;
    result.last_bpd = running / weight;

    const double t = elapsed();
    if (writer && !opt.quiet && (tty ? t - last_log >= 0.5 : t - last_log >= opt.log_seconds)) {
      last_log = t;
      double left = -1;
      if (opt.minutes > 0) left = opt.minutes * 60 - t;
      if (opt.steps > 0) {
        double by_steps = (opt.steps - adam.step) * t / std::max<int64_t>(1, adam.step - first_step);
        left = left < 0 ? by_steps : std::min(left, by_steps);
      }
      std::fprintf(stderr, "%sstep %lld  bpd %.4f  |g| %.1f  %.1f img/s  elapsed %s%s%s",
                   tty ? "\r" : "", static_cast<long long>(adam.step), result.last_bpd, norm,
                   images_seen / t, hms(t).c_str(), left >= 0 ? "  left " : "",
                   left >= 0 ? hms(left).c_str() : "");
      std::fprintf(stderr, tty ? "   " : "\n");
      std::fflush(stderr);
    }
    if (writer && t - last_ckpt >= opt.checkpoint_minutes * 60) {
      last_ckpt = t;
      save_all(prior_seconds + t);
      if (!opt.quiet) {
        std::fprintf(stderr, "%scheckpoint at step %lld", tty ? "\n" : "",
                     static_cast<long long>(adam.step));
        if (opt.eval_set) std::fprintf(stderr, "  eval bpd %.4f (%u images, EMA)", result.eval_bpd, opt.eval_set->n);
        std::fprintf(stderr, "\n");
      }
    }
  }
  const double total = prior_seconds + elapsed();
  if (writer) save_all(total);
  if (dp && !opt.quiet) {
    // A fingerprint of the live weights, the same on every rank (tests compare the ranks').
    uint32_t crc = 0;
    for (const auto& p : params) {
      const Tensor c = p.detach().contiguous();
      crc = crc32(static_cast<const uint8_t*>(c.data_ptr()), static_cast<size_t>(c.numel()) * c.element_size(), crc);
    }
    std::fprintf(stderr, "rank %d: parameters fingerprint %08x\n", dp->rank(), crc);
  }
  result.steps = adam.step;
  result.train_seconds = total;
  if (writer && !opt.quiet) {
    std::fprintf(stderr, "%sdone: %lld steps, %s trained in all, training bpd %.4f", tty ? "\n" : "",
                 static_cast<long long>(adam.step), hms(total).c_str(), result.last_bpd);
    if (opt.eval_set) std::fprintf(stderr, ", eval bpd %.4f (EMA)", result.eval_bpd);
    if (dp)
      std::fprintf(stderr, "\n%d ranks: %.1f images/s in all, the gradient all-reduce %.1f %% of the time",
                   dp->world_size(), images_seen / elapsed(), 100.0 * allreduce_seconds / elapsed());
    std::fprintf(stderr, "\nwrote %s and %s\n", opt.out.c_str(), ckpt_path.c_str());
  }
  return result;
}

}  // namespace lbb
