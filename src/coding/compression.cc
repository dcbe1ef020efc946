#include "coding/compression.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <thread>
#include <utility>

#include "coding/flow_trial_gate.h"
#include "common/assert.h"
#include "common/crc.h"
#include "common/errors.h"
#include "common/lazy_bytes.h"
#include "det/det_parallel.h"

namespace lbb {

namespace {

// The threads to use (0: every core). All of them work even on fewer streams: parallel_items
// gives each stream's worker a team of the threads left over.
int resolve_threads(int threads) {
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, threads > 0 ? threads : hw);
}

// Progress reports (subpixels) from worker threads, serialized.
struct ProgressCounter {
  ProgressCounter(std::function<void(int64_t, int64_t)> fn, int64_t total_subpixels)
      : callback(std::move(fn)), total(total_subpixels) {}
  std::function<void(int64_t, int64_t)> callback;
  const int64_t total;
  std::atomic<int64_t> done{0};
  std::mutex mutex;
  void add(int64_t subpixels) {
    const int64_t d = done += subpixels;
    if (!callback) return;
    std::lock_guard<std::mutex> lock(mutex);
    callback(d, total);
  }
};

// Version 4 decodes each stream first tile first (the encoder pushes its tiles last first),
// so that a tile's neighbours above and left of it are decoded before it; version 3 decoded
// last tile first.
bool decodes_forward(uint8_t version) { return version >= 4; }

// How the networks accumulate products (det_tensor.h): fused multiply-adds from version 5.
DetProducts products_of(uint8_t version) { return version >= 5 ? DetProducts::kFused : DetProducts::kSeparate; }

// The flow coder's arithmetic of a version: fused products from 5; from 6, actnorms coded
// together with the 1×1 convolutions after them and mixture inverses stopped after a small
// Newton step; from 7, pops and pushes in runs (CodingParams).
void set_version_arithmetic(CodingParams* params, uint8_t version) {
  params->products = products_of(version);
  params->fold_actnorm = version >= 6;
  params->inverse_newton_stop = version >= 6 ? kMixtureInverseNewtonStop : 0.0;
  params->coding_run = version >= 7 ? kCodingRun : 0;
}

void check_item(const ImageItem& item) {
  if (item.channels < 1 || item.channels > kMaxChannels || item.h < 1 || item.w < 1 || item.count < 1 ||
      item.pixels.size() != uint64_t{item.count} * item.channels * item.h * item.w)
    throw std::invalid_argument("compress_items: malformed image item " + item.name);
  if (item.name.empty() || item.name.size() > kMaxNameBytes)
    throw InputError(item.name.substr(0, 200) + ": name longer than " + std::to_string(kMaxNameBytes) + " bytes");
  if (item.h > kMaxImageSide || item.w > kMaxImageSide)
    throw InputError(item.name + ": image larger than " + std::to_string(kMaxImageSide) + " pixels on a side");
}

// printf into the end of `out`.
__attribute__((format(printf, 2, 3))) void appendf(std::string& out, const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof buf) {
    out.append(buf, static_cast<size_t>(n));
    return;
  }
  std::string big(static_cast<size_t>(n) + 1, '\0');
  va_start(args, format);
  std::vsnprintf(big.data(), big.size(), format, args);
  va_end(args);
  out.append(big.data(), static_cast<size_t>(n));
}

// Codes the tiles [first, end) of one stream onto a fresh message, last tile first (so that they
// decode first tile first), each by the cheapest tile coder, the flow after a trial; returns the
// message's bytes and adds the stream's figures to *r.
std::vector<uint8_t> encode_stream(const TileCoder& tc, const Container& c, const TileIndex& tiles,
                                   const std::vector<const ImageItem*>& coded, uint64_t first, uint64_t end,
                                   const CompressOptions& opt, DetScratch& scratch, ProgressCounter& progress,
                                   CompressReport* r) {
  Message m;
  const double bits0 = m.bits();
  std::vector<uint8_t> buf;
  std::vector<double> u;
  const CarriedCodes carried_codes = code_carried(c.header.version, tiles, coded, first, end, true);
  // Message bits per subpixel of a tile before its flow trial is worth running: k/2 at first;
  // after a trial that borrowed, 0.9× the depth it reached, so the following tiles are not
  // tried in vain while the message is still too short (the flow's first pops go ≈ 36 bits
  // per subpixel deep at k = 32 on the shipped models, 55 before container version 7).
  // Encoder-only: the decoder reads each tile's mode.
  double trial_depth_bps = 0.5 * opt.coding.precision_bits;
  FlowTrialGate gate;  // and trials only where the stream's earlier trials paid off
  for (uint64_t ti = end; ti-- > first;) {  // pushed last tile first: decoded first tile first
    const Tile t = tiles.at(ti);
    const ContainerImage& e = c.images[t.entry];
    buf.resize(t.subpixels());
    copy_tile_out(*coded[t.entry], t, buf.data());
    const bool fc = tc.flow_capable(e, t);
    const bool carried = carried_tile(c.header.version, t);
    double direct_bits = 0;
    TileMode mode =
        tc.best_direct(buf.data(), t, fc, &direct_bits, carried ? &carried_codes.choice[ti - first] : nullptr);
    double tile_bits = direct_bits;
    const double before = m.bits();
    // The flow, once the message can lend what it pops first (DESIGN.md §6) and unless the
    // gate expects it to lose; kept only if it borrowed nothing and beat the direct coders,
    // else the trial is rolled back (M6).
    const double subpixels = static_cast<double>(buf.size());
    bool trial = fc && before - bits0 >= trial_depth_bps * subpixels;
    if (trial && !opt.exhaustive && !opt.prefer_flow && !gate.worth_trying(direct_bits / subpixels)) {
      trial = false;
      ++r->flow_trials_skipped;
    }
    if (trial) {
      const uint64_t borrowed = m.max_borrowed();
      m.begin_trial();
      tc.flow().encode(m, buf.data(), scratch, &u);
      const double flow_bits = m.bits() - before + model_bits(tc.modes(true), 0);
      ++r->flow_trials;
      const bool borrowed_any = m.max_borrowed() != borrowed;
      if (borrowed_any) {  // w words borrowed: ≥ (w − 1)·32 bits below the bottom
        ++r->flow_trials_borrowed;
        const double w = static_cast<double>(m.max_borrowed() - borrowed);
        const double depth = before - bits0 + ans::kWordBits * (w - 1);
        trial_depth_bps = std::max(trial_depth_bps, 0.9 * depth / subpixels);
      } else {
        gate.record(direct_bits / subpixels, flow_bits / subpixels);
      }
      if (!borrowed_any && (flow_bits < direct_bits || opt.prefer_flow)) {
        m.commit();
        mode = TileMode::kFlow;
        tile_bits = flow_bits;
        r->flow_net_bits += flow_bits;
        r->flow_dims += static_cast<int64_t>(buf.size());
        if (opt.theoretical) {
          const double bound = tc.flow().theoretical_bits(buf.data(), u, scratch);
          r->flow_theoretical_bits += bound;
          r->theoretical_bits += bound;
        }
      } else {
        m.rollback();
      }
    }
    if (carried && find_tile_mode(mode)->record) {  // a carried coder's: its recorded intervals
      push_intervals_reversed(m, carried_codes.intervals.data() + carried_codes.begin[ti - first], buf.size());
      r->theoretical_bits += direct_bits;
    } else if (mode != TileMode::kFlow) {
      tc.push_direct(m, mode, buf.data(), t);
      r->theoretical_bits += direct_bits;
    }
    push_symbol(m, tc.modes(fc), static_cast<uint64_t>(mode));
    ++r->tiles_by_mode[static_cast<int>(mode)];
    if (t.edge) {
      ++r->edge_tiles;
      r->edge_bits += tile_bits;
      r->edge_dims += static_cast<int64_t>(buf.size());
    }
    progress.add(static_cast<int64_t>(buf.size()));
  }
  LBB_ASSERT(m.max_borrowed() == 0);  // trials that borrow are rolled back: the decoder relies on it
  r->net_bits = m.bits() - bits0;
  r->aux_bits = 32 * m.max_borrowed();
  return m.to_bytes();
}

// Puts empty streams (no tile; the initial message's bytes) in front until the file may
// declare its subpixels under format/container.h's size bound: files of near-constant images,
// which code more than kSubpixelsPerByte subpixels per byte, pay about a byte per 2^13.
void pad_to_size_bound(Container* c) {
  const std::vector<uint8_t> empty = Message().to_bytes();
  for (;;) {
    const uint64_t allowed = kSubpixelsPerByte * container_file_size(*c) + kSubpixelSlack;
    const uint64_t subpixels = c->total_subpixels();
    if (subpixels <= allowed) return;
    const uint64_t missing_bytes = (subpixels - allowed + kSubpixelsPerByte - 1) / kSubpixelsPerByte;
    const uint64_t k = std::max<uint64_t>(1, missing_bytes / (empty.size() + 2));  // length + tile count
    c->streams.insert(c->streams.begin(), k, empty);
    c->stream_tiles.insert(c->stream_tiles.begin(), k, 0);
  }
}

// Decodes stream `s`, the tiles [first, end), into `out` (per entry, the planes its tiles
// address), checking that the message ends on its initial state; throws InputError naming the
// stream.
void decode_stream(const TileCoder& tc, const Container& c, const TileIndex& tiles, int64_t s, uint64_t first,
                   uint64_t end, const std::string& name, DetScratch& scratch, ProgressCounter& progress,
                   const std::vector<PlanesView>& out) {
  const std::string where = name + ": stream " + std::to_string(s);
  Message m;
  try {
    m = Message::from_bytes(c.streams[s].data(), c.streams[s].size());
  } catch (const std::exception& e) {
    throw InputError(where + " is corrupt (" + e.what() + ")");
  }
  std::vector<uint8_t> buf;
  CarriedCoders carried_coders(c.header.version);
  const bool forward = decodes_forward(c.header.version);
  const uint64_t n = end - first;
  try {
    for (uint64_t k = 0; k < n; ++k) {
      const uint64_t ti = forward ? first + k : end - 1 - k;
      const Tile t = tiles.at(ti);
      buf.resize(t.subpixels());
      if (carried_tile(c.header.version, t)) {
        const TileBorder border = carried_border(out[t.entry], t, ti, first);
        const CarriedContext cc{&carried_coders, &border};
        tc.pop(m, c.images[t.entry], t, buf.data(), scratch, &cc);  // (they learn every colour tile)
      } else {
        tc.pop(m, c.images[t.entry], t, buf.data(), scratch, nullptr);
      }
      // The encoder never borrows (a flow trial that borrows is rejected), and decoding
      // retraces its states, so a borrow means garbage: stop before decoding more of it.
      if (m.max_borrowed() > 0) throw InputError(where + " is corrupt (it reads past its own start)");
      copy_tile_in(out[t.entry], t, buf.data());
      progress.add(static_cast<int64_t>(buf.size()));
    }
  } catch (const CodingError& e) {
    throw InputError(where + " is corrupt (" + e.what() + ")");
  }
  if (m != Message()) throw InputError(where + " did not decode to its initial state (corrupt file?)");
}

}  // namespace

std::vector<ImageItem> items_of_image_set(const ImageSet& set, const std::string& name) {
  check_image_set(set);
  std::vector<ImageItem> items;
  if (set.n == 0) return items;
  ImageItem item;
  item.name = name;
  item.format = ImageFormat::kIdx;
  item.channels = set.c, item.h = set.h, item.w = set.w, item.count = set.n;
  item.pixels = set.pixels;
  items.push_back(std::move(item));
  return items;
}

double sample_tile_bits(const CodingModel& model, bool float32, const std::vector<ImageItem>& items, int max_tiles,
                        double* sample_dims, int threads) {
  CodingParams params;
  params.activations = float32 ? DetActivations::kFloat32 : DetActivations::kDouble;
  const FlowCoder coder(model.networks(float32), params);
  const TileCoder tc(model, coder, kContainerVersion);
  // At most max_tiles items (evenly spread), so that a directory of many files costs no more;
  // every sampled tile of them coded on the threads, summed item by item in tile order (the
  // same bits whatever the thread count).
  const size_t n = items.size(), used = std::min<size_t>(n, static_cast<size_t>(std::max(1, max_tiles)));
  const int per_item = std::max(1, max_tiles / static_cast<int>(std::max<size_t>(1, used)));
  std::vector<std::pair<const ImageItem*, Tile>> sample;
  std::vector<size_t> first(used + 1, 0);  // item i's tiles: sample[first[i], first[i + 1])
  for (size_t i = 0; i < used; ++i) {
    const ImageItem& item = items[n * (2 * i + 1) / (2 * used)];
    for (const Tile& t : sample_tiles(tc, item, per_item)) sample.emplace_back(&item, t);
    first[i + 1] = sample.size();
  }
  std::vector<double> tile_bits(sample.size());
  parallel_items(static_cast<int64_t>(sample.size()), resolve_threads(threads), [&](int64_t k, DetScratch& scratch) {
    std::vector<uint8_t> buf;
    tile_bits[k] = flow_or_direct_bits(tc, *sample[k].first, sample[k].second, &buf, scratch);
  });
  double bits = 0, dims = 0;
  for (size_t i = 0; i < used; ++i) {
    double item_bits = 0, item_dims = 0;
    for (size_t k = first[i]; k < first[i + 1]; ++k)
      item_bits += tile_bits[k], item_dims += static_cast<double>(sample[k].second.subpixels());
    bits += item_bits, dims += item_dims;
  }
  if (sample_dims) *sample_dims = dims;
  return bits;
}

Container compress_items(const CodingModel& model, const std::vector<ImageItem>& items,
                         const CompressOptions& opt, CompressReport* report) {
  const auto start = std::chrono::steady_clock::now();
  for (const ImageItem& item : items) check_item(item);
  Container c;
  CodingParams coding = opt.coding;  // the arithmetic of the version written
  set_version_arithmetic(&coding, c.header.version);
  if (opt.float32_activations && !opt.float32_networks)
    throw std::invalid_argument("compress_items: float32 activations need float32 networks");
  coding.activations = opt.float32_activations ? DetActivations::kFloat32 : DetActivations::kDouble;
  const FlowCoder coder(model.networks(opt.float32_networks), coding);
  const TileCoder tc(model, coder, c.header.version);

  c.header.model_id = model.model_id(c.header.version);
  c.header.precision_bits = static_cast<uint8_t>(opt.coding.precision_bits);
  c.header.sigma = opt.coding.sigma;
  c.header.flags = (opt.float32_networks ? kFlagFloat32Networks : 0) |
                   (opt.float32_activations ? kFlagFloat32Activations : 0);
  // The planes each entry's tiles address: the image, or its palette indices (and alpha)
  // when that codes in fewer bits.
  CodingPlan plan = plan_entries(tc, items, opt.prefer_flow);
  c.images = std::move(plan.entries);
  const std::vector<const ImageItem*>& coded = plan.coded;
  const uint64_t d = c.total_subpixels();
  if (d > kMaxSubpixels) throw InputError("more than 2^34 subpixels in one file (split the input)");
  const TileIndex tiles(c.images);
  const uint64_t n_tiles = tiles.size();
  const uint32_t streams = plan_stream_count(d, n_tiles, opt.streams);
  c.stream_tiles = stream_tile_counts(tiles, d, streams);
  c.streams.resize(streams);
  std::vector<uint64_t> first(streams + 1, 0);
  for (uint32_t s = 0; s < streams; ++s) first[s + 1] = first[s] + c.stream_tiles[s];
  LBB_ASSERT(first[streams] == n_tiles);  // the streams are runs covering every tile once
  std::vector<CompressReport> per(streams);
  ProgressCounter progress{opt.progress, static_cast<int64_t>(d)};

  parallel_items(streams, resolve_threads(opt.threads), [&](int64_t s, DetScratch& scratch) {
    c.streams[s] = encode_stream(tc, c, tiles, coded, first[s], first[s + 1], opt, scratch, progress, &per[s]);
  });
  uint32_t crc = 0;
  for (const ImageItem& item : items) crc = crc32(item.pixels.data(), item.pixels.size(), crc);
  c.images_crc32 = crc;
  pad_to_size_bound(&c);
  try {
    check_container(c);
  } catch (const std::invalid_argument& e) {
    throw InputError(std::string("cannot store these images: ") + e.what());
  }

  if (report) {
    *report = CompressReport{};
    report->entries = static_cast<int64_t>(items.size());
    for (const ImageItem& item : items) {
      report->images += item.count;
      report->megapixels += 1e-6 * item.count * item.h * item.w;
    }
    report->tiles = static_cast<int64_t>(n_tiles);
    report->dims = static_cast<int64_t>(d);
    report->streams = streams;
    report->precision_bits = opt.coding.precision_bits;
    report->sigma = opt.coding.sigma;
    report->model = model.path;
    for (const CompressReport& r : per) report->add(r);
    report->total_bytes = container_overhead(c);
    for (const auto& s : c.streams) report->total_bytes += s.size();
    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return c;
}

std::vector<ImageItem> decompress_items(const CodingModel& model, const Container& c, int threads,
                                        const std::string& name,
                                        const std::function<void(int64_t, int64_t)>& progress_fn) {
  check_model(c, model.weights_hash, model.content_hash, name);
  check_flags(c, kFlagFloat32Networks | kFlagFloat32Activations, name);
  const bool float32_networks = c.header.flags & kFlagFloat32Networks;
  if ((c.header.flags & kFlagFloat32Activations) && !float32_networks)
    throw InputError(name + ": corrupt header (flags " + hex32(c.header.flags) +
                     ": float32 activations without float32 networks)");
  CodingParams params;
  params.precision_bits = c.header.precision_bits;
  params.sigma = c.header.sigma;
  set_version_arithmetic(&params, c.header.version);
  params.activations =
      c.header.flags & kFlagFloat32Activations ? DetActivations::kFloat32 : DetActivations::kDouble;
  std::unique_ptr<FlowCoder> coder;
  try {
    coder = std::make_unique<FlowCoder>(model.networks(float32_networks), params);
  } catch (const std::invalid_argument& e) {
    throw InputError(name + ": unsupported coding parameters (" + e.what() + ")");
  }
  const TileCoder tc(model, *coder, c.header.version);
  // Decoded into the planes the tiles address (palette indices for palette entries), in memory
  // that becomes resident as tiles are decoded into it: a file that declares more than it holds
  // fails before its declared size costs anything (docs/container_format.md, "Size bounds").
  std::vector<LazyBytes> planes;
  std::vector<PlanesView> views;
  for (const ContainerImage& e : c.images) {
    planes.emplace_back(uint64_t{e.count} * e.coded_planes() * e.h * e.w);  // bounded by the file's size
    views.push_back({planes.back().data(), e.coded_planes(), e.h, e.w});
  }
  const TileIndex tiles(c.images);
  const uint32_t streams = static_cast<uint32_t>(c.streams.size());
  std::vector<uint64_t> first(streams + 1, 0);
  for (uint32_t s = 0; s < streams; ++s) first[s + 1] = first[s] + c.stream_tiles[s];
  ProgressCounter progress{progress_fn, static_cast<int64_t>(c.total_subpixels())};
  parallel_items(streams, resolve_threads(threads), [&](int64_t s, DetScratch& scratch) {
    decode_stream(tc, c, tiles, s, first[s], first[s + 1], name, scratch, progress, views);
  });
  std::vector<ImageItem> out(c.images.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const ContainerImage& e = c.images[i];
    ImageItem& item = out[i];
    item.name = e.name;
    item.format = static_cast<ImageFormat>(e.format);
    item.channels = e.coded_planes(), item.h = e.h, item.w = e.w, item.count = e.count;
    planes[i].move_into(&item.pixels);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const ContainerImage& e = c.images[i];
    if (e.palette.empty()) continue;
    ImageItem colours = out[i];
    colours.channels = e.channels;
    colours.pixels.assign(e.subpixels(), 0);
    try {
      expand_palette(e, out[i], &colours);
    } catch (const CodingError& err) {
      throw InputError(name + ": " + e.name + " is corrupt (" + err.what() + ")");
    }
    out[i] = std::move(colours);
  }
  uint32_t crc = 0;
  for (const ImageItem& item : out) crc = crc32(item.pixels.data(), item.pixels.size(), crc);
  check_images_crc(c, crc, name);
  return out;
}

void CompressReport::add(const CompressReport& o) {
  images += o.images, entries += o.entries, tiles += o.tiles, dims += o.dims;
  for (int i = 0; i < kTileModes; ++i) tiles_by_mode[i] += o.tiles_by_mode[i];
  edge_tiles += o.edge_tiles;
  edge_bits += o.edge_bits;
  edge_dims += o.edge_dims;
  theoretical_bits += o.theoretical_bits;
  net_bits += o.net_bits;
  aux_bits += o.aux_bits;
  flow_net_bits += o.flow_net_bits;
  flow_theoretical_bits += o.flow_theoretical_bits;
  flow_dims += o.flow_dims;
  flow_trials += o.flow_trials;
  flow_trials_borrowed += o.flow_trials_borrowed;
  flow_trials_skipped += o.flow_trials_skipped;
  total_bytes += o.total_bytes;
  seconds += o.seconds;
  megapixels += o.megapixels;
  streams += o.streams;
}

std::string CompressReport::json() const {
  const double d = static_cast<double>(dims), fd = static_cast<double>(flow_dims);
  std::string out;
  appendf(out, "{\"images\": %lld, \"entries\": %lld, \"dims\": %lld, \"tiles\": %lld, \"flow_tiles\": %lld, "
          "\"direct_tiles\": %lld, ", static_cast<long long>(images), static_cast<long long>(entries),
          static_cast<long long>(dims), static_cast<long long>(tiles), static_cast<long long>(flow_tiles()),
          static_cast<long long>(direct_tiles()));
  for (int m = 0; m < kTileModes; ++m) {  // in the order of the flag's values
    if (m == static_cast<int>(TileMode::kFlow)) continue;
    appendf(out, "\"%s_tiles\": %lld, ", find_tile_mode(static_cast<TileMode>(m))->name,
            static_cast<long long>(tiles_by_mode[m]));
  }
  appendf(out, "\"edge_tiles\": %lld, \"edge_bpd\": %.6f, \"padding_bits\": 0, \"theoretical_bpd\": %.6f, "
          "\"net_bpd\": %.6f, \"aux_bits\": %llu, \"total_bytes\": %llu, \"total_bpd\": %.6f, \"seconds\": %.3f, "
          "\"seconds_per_megapixel\": %.4f, ",
          static_cast<long long>(edge_tiles), edge_dims > 0 ? edge_bits / edge_dims : 0.0, theoretical_bits / d,
          net_bits / d, static_cast<unsigned long long>(aux_bits), static_cast<unsigned long long>(total_bytes),
          8.0 * total_bytes / d, seconds, seconds / std::max(megapixels, 1e-9));
  appendf(out, "\"flow_theoretical_bpd\": %.6f, \"flow_net_bpd\": %.6f, \"flow_trials\": %lld, "
          "\"flow_trials_borrowed\": %lld, \"flow_trials_skipped\": %lld, \"streams\": %lld, \"precision_bits\": %d, "
          "\"sigma\": %.9g, \"model\": \"%s\"}",
          fd > 0 ? flow_theoretical_bits / fd : 0.0, fd > 0 ? flow_net_bits / fd : 0.0,
          static_cast<long long>(flow_trials), static_cast<long long>(flow_trials_borrowed),
          static_cast<long long>(flow_trials_skipped), static_cast<long long>(streams), precision_bits, sigma,
          model.c_str());
  return out;
}

}  // namespace lbb
