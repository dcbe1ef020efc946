#include "coding/compression.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>
#include <utility>

#include "io/errors.h"
#include "io/tensor_archive.h"

namespace lbb {

namespace {

void put_varint(std::vector<uint8_t>* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<uint8_t>(v));
}

// Reads a shortest-form varint < 2^32; returns bytes used, 0 on malformed input.
size_t get_varint(const std::vector<uint8_t>& in, uint64_t* v) {
  *v = 0;
  for (size_t i = 0; i < in.size() && i < 5; ++i) {
    *v |= uint64_t{in[i] & 0x7fu} << (7 * i);
    if (!(in[i] & 0x80)) return (i > 0 && in[i] == 0) || *v > 0xffffffffu ? 0 : i + 1;
  }
  return 0;
}

int resolve_threads(int threads, int work) {
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, std::min(threads > 0 ? threads : hw, work));
}

// Progress reports from worker threads, serialized.
struct ProgressCounter {
  explicit ProgressCounter(std::function<void(int64_t)> fn) : callback(std::move(fn)) {}
  std::function<void(int64_t)> callback;
  std::atomic<int64_t> done{0};
  std::mutex mutex;
  void tick() {
    const int64_t d = ++done;
    if (!callback) return;
    std::lock_guard<std::mutex> lock(mutex);
    callback(d);
  }
};

uint32_t stream_start(uint32_t n, uint32_t streams, uint32_t s) {
  return static_cast<uint32_t>(uint64_t{n} * s / streams);
}

}  // namespace

CodingModel load_coding_model(const std::string& path) {
  TensorArchive archive = load_archive(path);
  CodingModel m;
  m.flow = std::make_unique<DetFlowModel>(DetFlowModel::from_archive(archive, path));
  const NamedTensor* t = archive.find(kDirectModelTensor);
  if (!t)
    throw InputError(path + ": model file has no direct model for the first images (add it with "
                            "`lbb fit-direct --model " + path + " --data <training images>`)");
  std::vector<uint32_t> freqs(t->data.size());
  for (size_t i = 0; i < freqs.size(); ++i) {
    const float f = t->data[i];
    if (!(f >= 1 && f <= ContextImageModel::kMaxFrequency) || f != std::floor(f))
      throw InputError(path + ": corrupt direct model (frequency " + std::to_string(f) + ")");
    freqs[i] = static_cast<uint32_t>(f);
  }
  const uint32_t channels = static_cast<uint32_t>(m.flow->config().channels);
  try {
    m.direct = std::make_unique<ContextImageModel>(channels, freqs);
  } catch (const std::invalid_argument& e) {
    throw InputError(path + ": corrupt direct model (" + e.what() + ")");
  }
  m.weights_hash = archive_weights_hash(archive);
  return m;
}

NamedTensor fit_direct_model_tensor(const ImageSet& images) {
  ContextImageModel direct = ContextImageModel::fit(images.pixels.data(), images.n, images.c, images.h, images.w);
  NamedTensor t;
  t.name = kDirectModelTensor;
  const auto& f = direct.frequencies();
  t.shape = {static_cast<int64_t>(f.size() / ContextImageModel::kSymbols), ContextImageModel::kSymbols};
  t.data.assign(f.begin(), f.end());  // integers ≤ 2^24: exact in float32
  return t;
}

void add_direct_model(TensorArchive* archive, const ImageSet& images) {
  auto& ts = archive->tensors;
  ts.erase(std::remove_if(ts.begin(), ts.end(), [](const NamedTensor& x) { return x.name == kDirectModelTensor; }),
           ts.end());
  ts.push_back(fit_direct_model_tensor(images));
}

Container compress_images(const CodingModel& model, const ImageSet& images,
                          const CompressOptions& opt, CompressReport* report) {
  const auto start = std::chrono::steady_clock::now();
  const FlowConfig& cfg = model.flow->config();
  if (images.c != cfg.channels || images.h != cfg.height || images.w != cfg.width)
    throw InputError("images are " + std::to_string(images.c) + "x" + std::to_string(images.h) + "x" +
                     std::to_string(images.w) + " but the model codes " + std::to_string(cfg.channels) +
                     "x" + std::to_string(cfg.height) + "x" + std::to_string(cfg.width) + " images");
  FlowCoder coder(*model.flow, opt.coding);
  const uint32_t n = images.n;
  const uint32_t streams = n == 0 ? 1 : static_cast<uint32_t>(std::min<int64_t>(n, opt.streams > 0 ? opt.streams : 2));
  const int64_t d = model.flow->dims();
  const double k = opt.coding.precision_bits;

  Container c;
  c.header.model_id = model_id_of(model.weights_hash);
  c.header.n = n;
  c.header.c = images.c, c.header.h = images.h, c.header.w = images.w;
  c.header.precision_bits = static_cast<uint8_t>(opt.coding.precision_bits);
  c.header.sigma = opt.coding.sigma;
  c.streams.resize(streams);
  c.stream_images.resize(streams);
  std::vector<CompressReport> per(streams);
  ProgressCounter progress{opt.progress};

  // One stream per task; DetFlowModel::parallel_images hands out tasks and per-thread scratch.
  DetFlowModel::parallel_images(streams, resolve_threads(opt.threads, streams), [&](int64_t s, DetScratch& scratch) {
    const uint32_t first = stream_start(n, streams, s), last = stream_start(n, streams, s + 1);
    Message m;
    const double bits0 = m.bits();
    uint64_t direct = 0;
    bool flow_mode = false;
    std::vector<double> u;
    CompressReport& r = per[s];
    for (uint32_t i = first; i < last; ++i) {
      const uint8_t* img = images.image(i);
      if (flow_mode) {
        r.flow_net_bits -= m.bits();
        coder.encode(m, img, scratch, &u);
        r.flow_net_bits += m.bits();
      } else if (m.bits() - bits0 < 0.5 * k * d) {  // far too short to lend ū's bits: direct
        model.direct->push_image(m, img, images.h, images.w);
        ++direct;
        if (opt.theoretical) {  // a ū for the bound all the same: from a scratch message
          Message scratch_message;
          coder.encode(scratch_message, img, scratch, &u);
        }
      } else {  // try the flow; keep it only if it borrowed nothing
        Message trial = m;
        coder.encode(trial, img, scratch, &u);
        if (trial.max_borrowed() == 0) {
          r.flow_net_bits -= m.bits();
          m = std::move(trial);
          r.flow_net_bits += m.bits();
          flow_mode = true;
        } else {
          model.direct->push_image(m, img, images.h, images.w);
          ++direct;
        }
      }
      if (opt.theoretical) {
        const double bits = coder.theoretical_bits(img, u, scratch);
        r.theoretical_bits += bits;
        if (flow_mode) r.flow_theoretical_bits += bits;
      }
      progress.tick();
    }
    r.direct_images = static_cast<int64_t>(direct);
    r.net_bits = m.bits() - bits0;
    r.aux_bits = 32 * m.max_borrowed();
    std::vector<uint8_t> bytes;
    put_varint(&bytes, direct);
    const std::vector<uint8_t> msg = m.to_bytes();
    bytes.insert(bytes.end(), msg.begin(), msg.end());
    c.streams[s] = std::move(bytes);
    c.stream_images[s] = last - first;
  });
  c.images_crc32 = images_crc32(images.pixels.data(), images.pixels.size());

  if (report) {
    *report = CompressReport{};
    report->images = n;
    report->dims = static_cast<int64_t>(n) * d;
    for (const auto& r : per) {
      report->direct_images += r.direct_images;
      report->theoretical_bits += r.theoretical_bits;
      report->net_bits += r.net_bits;
      report->aux_bits += r.aux_bits;
      report->flow_net_bits += r.flow_net_bits;
      report->flow_theoretical_bits += r.flow_theoretical_bits;
    }
    report->total_bytes = container_overhead(c);
    for (const auto& s : c.streams) report->total_bytes += s.size();
    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return c;
}

ImageSet decompress_images(const CodingModel& model, const Container& c, int threads,
                           const std::string& name, const std::function<void(int64_t)>& progress_fn) {
  check_model(c, model.weights_hash, name);
  check_flags(c, 0, name);
  const FlowConfig& cfg = model.flow->config();
  if (c.header.c != cfg.channels || c.header.h != cfg.height || c.header.w != cfg.width)
    throw InputError(name + ": image shape does not match the model");
  CodingParams params;
  params.precision_bits = c.header.precision_bits;
  params.sigma = c.header.sigma;
  std::unique_ptr<FlowCoder> coder;
  try {
    coder = std::make_unique<FlowCoder>(*model.flow, params);
  } catch (const std::invalid_argument& e) {
    throw InputError(name + ": unsupported coding parameters (" + e.what() + ")");
  }
  ImageSet out;
  out.n = c.header.n, out.c = c.header.c, out.h = c.header.h, out.w = c.header.w;
  out.pixels.resize(c.header.subpixels());
  out.names.resize(out.n);
  for (uint32_t i = 0; i < out.n; ++i) out.names[i] = name + "#" + std::to_string(i);
  ProgressCounter progress{progress_fn};
  const uint32_t streams = static_cast<uint32_t>(c.streams.size());
  DetFlowModel::parallel_images(streams, resolve_threads(threads, streams), [&](int64_t s, DetScratch& scratch) {
    const std::string where = name + ": stream " + std::to_string(s);
    uint64_t direct = 0;
    const size_t used = get_varint(c.streams[s], &direct);
    if (used == 0 || direct > c.stream_images[s]) throw InputError(where + " is corrupt (bad header)");
    Message m;
    try {
      m = Message::from_bytes(c.streams[s].data() + used, c.streams[s].size() - used);
    } catch (const std::exception& e) {
      throw InputError(where + " is corrupt (" + e.what() + ")");
    }
    uint32_t first = 0;
    for (int64_t t = 0; t < s; ++t) first += c.stream_images[t];
    try {
      for (uint32_t i = c.stream_images[s]; i-- > 0;) {
        uint8_t* img = out.image(first + i);
        if (i >= direct) coder->decode(m, img, scratch);
        else model.direct->pop_image(m, img, out.h, out.w);
        progress.tick();
      }
    } catch (const CodingError& e) {
      throw InputError(where + " is corrupt (" + e.what() + ")");
    }
    if (m != Message()) throw InputError(where + " did not decode to its initial state (corrupt file?)");
  });
  check_images(c, out.pixels.data(), out.pixels.size(), name);
  return out;
}

}  // namespace lbb
