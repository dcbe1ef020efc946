#include "coding/compression.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>
#include <utility>

#include "coding/flow_trial_gate.h"
#include "common/crc.h"
#include "common/errors.h"
#include "io/tensor_archive.h"
#include "model/adaptive_image_model.h"
#include "model/categorical.h"
#include "model/predictive_image_model.h"
#include "model/uniform.h"

namespace lbb {

namespace {

// The threads to use (0: every core). All of them work even on fewer streams: parallel_images
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

}  // namespace

struct CodingModel::Networks {
  TensorArchive archive;
  std::once_flag built[2];                   // [float32]
  std::unique_ptr<DetFlowModel> flow[2];
};

CodingModel::CodingModel(TensorArchive archive, const std::string& path)
    : path(path), config_(model_archive_config(archive, path)) {
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
  try {
    direct = std::make_unique<ContextImageModel>(static_cast<uint32_t>(config_.channels), freqs);
  } catch (const std::invalid_argument& e) {
    throw InputError(path + ": corrupt direct model (" + e.what() + ")");
  }
  weights_hash = archive_weights_hash(archive);
  networks_ = std::make_unique<Networks>();
  networks_->archive = std::move(archive);
}

CodingModel::CodingModel() = default;
CodingModel::CodingModel(CodingModel&&) noexcept = default;
CodingModel& CodingModel::operator=(CodingModel&&) noexcept = default;
CodingModel::~CodingModel() = default;

const DetFlowModel& CodingModel::networks(bool float32) const {
  if (!networks_) throw std::logic_error("CodingModel::networks: no model loaded");
  Networks& n = *networks_;
  const int i = float32 ? 1 : 0;
  std::call_once(n.built[i], [&] {
    n.flow[i] = std::make_unique<DetFlowModel>(
        DetFlowModel::from_archive(n.archive, path, float32 ? DetPrecision::kFloat32 : DetPrecision::kFloat64));
  });
  return *n.flow[i];
}

CodingModel load_coding_model(const std::string& path) { return CodingModel(load_archive(path), path); }

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


namespace {

// ---- tiles ------------------------------------------------------------------------------------

// One tile: `planes` planes from `plane0` of image `image` of entry `entry`, rows y0.., columns x0...
struct Tile {
  uint32_t entry = 0, image = 0, plane0 = 0, planes = 1;
  uint32_t y0 = 0, x0 = 0, h = 1, w = 1;
  uint32_t cols = 1;  // tiles in a row of its plane group (the tile below is `cols` later)
  bool alpha = false;
  bool edge = false;  // a colour tile smaller than the entry's tile size
  uint64_t subpixels() const { return uint64_t{planes} * h * w; }
};

// The global tile order of a container's entries (format/container.h), by index arithmetic:
// nothing per tile is stored.
class TileIndex {
 public:
  explicit TileIndex(const std::vector<ContainerImage>& entries) : entries_(entries) {
    first_.reserve(entries.size() + 1);
    first_.push_back(0);
    for (const ContainerImage& e : entries) first_.push_back(first_.back() + e.tiles());
  }
  uint64_t size() const { return first_.back(); }

  Tile at(uint64_t t) const {
    const size_t e = static_cast<size_t>(std::upper_bound(first_.begin(), first_.end(), t) - first_.begin() - 1);
    const ContainerImage& ent = entries_[e];
    const uint64_t local = t - first_[e];
    const uint64_t per_image = ent.tiles_per_image();
    Tile tile;
    tile.entry = static_cast<uint32_t>(e);
    tile.image = static_cast<uint32_t>(local / per_image);
    uint64_t j = local % per_image;
    const uint64_t colour = ent.colour_tiles_per_image();
    uint32_t th = ent.tile_h, tw = ent.tile_w;
    if (j < colour) {
      const uint64_t grid = colour / (ent.coded_colour_planes() / ent.tile_channels);
      tile.plane0 = static_cast<uint32_t>(j / grid) * ent.tile_channels;
      tile.planes = ent.tile_channels;
      j %= grid;
    } else {
      j -= colour;
      tile.alpha = true;
      tile.plane0 = ent.coded_colour_planes();
      tile.planes = 1;
      th = ent.alpha_tile_h, tw = ent.alpha_tile_w;
    }
    const uint32_t cols = (ent.w + tw - 1) / tw;
    tile.cols = cols;
    tile.y0 = static_cast<uint32_t>(j / cols) * th;
    tile.x0 = static_cast<uint32_t>(j % cols) * tw;
    tile.h = std::min(th, ent.h - tile.y0);
    tile.w = std::min(tw, ent.w - tile.x0);
    tile.edge = !tile.alpha && (tile.h != th || tile.w != tw);
    return tile;
  }

 private:
  const std::vector<ContainerImage>& entries_;
  std::vector<uint64_t> first_;  // first_[e] = index of entry e's first tile
};

uint8_t* plane_of(ImageItem& item, uint32_t image, uint32_t plane) {
  return item.pixels.data() + (size_t{image} * item.channels + plane) * item.h * item.w;
}
const uint8_t* plane_of(const ImageItem& item, uint32_t image, uint32_t plane) {
  return item.pixels.data() + (size_t{image} * item.channels + plane) * item.h * item.w;
}

void copy_tile_out(const ImageItem& item, const Tile& t, uint8_t* out) {
  for (uint32_t p = 0; p < t.planes; ++p) {
    const uint8_t* plane = plane_of(item, t.image, t.plane0 + p);
    for (uint32_t y = 0; y < t.h; ++y) {
      const uint8_t* row = plane + size_t{t.y0 + y} * item.w + t.x0;
      std::copy(row, row + t.w, out + (size_t{p} * t.h + y) * t.w);
    }
  }
}

void copy_tile_in(ImageItem& item, const Tile& t, const uint8_t* in) {
  for (uint32_t p = 0; p < t.planes; ++p) {
    uint8_t* plane = plane_of(item, t.image, t.plane0 + p);
    for (uint32_t y = 0; y < t.h; ++y) {
      const uint8_t* row = in + (size_t{p} * t.h + y) * t.w;
      std::copy(row, row + t.w, plane + size_t{t.y0 + y} * item.w + t.x0);
    }
  }
}

// ---- the carried adaptive coder (container version ≥ 4) -------------------------------------------

// Whether tile t's adaptive mode is the carried coder (AdaptiveState and TileBorder of
// model/adaptive_image_model.h): every colour tile of a version-4 file.  Its state runs over
// every colour tile of the stream, whatever coded it, in decoding order.
bool carried(uint8_t version, const Tile& t) { return version >= 4 && !t.alpha; }

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

// The samples of `image` around tile `ti` (global index) that the decoder of a stream
// starting at tile `first` has when it reaches the tile (version 4).
TileBorder carried_border(const ImageItem& image, const Tile& t, uint64_t ti, uint64_t first) {
  TileBorder b;
  b.has_above = t.y0 > 0 && ti >= first + t.cols;  // the tile above is `cols` earlier
  b.has_left = t.x0 > 0 && ti >= first + 1;
  b.has_corner = b.has_above && t.x0 > 0 && ti >= first + t.cols + 1;
  b.has_above_right = b.has_above && t.x0 + t.w < image.w;
  const size_t aw = t.w + 2;
  b.above.assign(t.planes * aw, 0);
  b.left.assign(size_t{t.planes} * t.h, 0);
  for (uint32_t p = 0; p < t.planes; ++p) {
    const uint8_t* plane = plane_of(image, t.image, t.plane0 + p);
    if (b.has_above) {
      const uint8_t* row = plane + size_t{t.y0 - 1} * image.w + t.x0;
      uint8_t* above = b.above.data() + p * aw;
      std::copy(row, row + t.w, above + 1);
      if (b.has_corner) above[0] = row[-1];
      if (b.has_above_right) above[t.w + 1] = row[t.w];
    }
    if (b.has_left)
      for (uint32_t i = 0; i < t.h; ++i) b.left[size_t{p} * t.h + i] = plane[size_t{t.y0 + i} * image.w + t.x0 - 1];
  }
  return b;
}

// The carried direct coders of a version, one set per stream: the adaptive frequencies of
// model/adaptive_image_model.h from version 4, and from version 8 also the predictive coder of
// model/predictive_image_model.h. Their states run over every colour tile of the stream,
// whatever coded it, in decoding order; from version 8 each tile coded by one of them is coded
// by the cheaper of the two (TileMode kAdaptive or kPredictive).
class CarriedCoders {
 public:
  explicit CarriedCoders(uint8_t version) : predictive_(version >= 8) {}

  struct Choice {
    TileMode mode;  // kAdaptive or kPredictive
    double bits;    // its exact bits
  };
  // Learns tile `t` with every coder and returns the cheaper; appends its intervals to `out`
  // if not null.
  Choice record(const uint8_t* tile, const Tile& t, const TileBorder& border, std::vector<Interval>* out) {
    if (!predictive_)
      return {TileMode::kAdaptive, record_adaptive_tile(adaptive_state_, tile, t.planes, t.h, t.w, border, out)};
    std::vector<Interval>* a = out ? &adaptive_intervals_ : nullptr;
    std::vector<Interval>* p = out ? &predictive_intervals_ : nullptr;
    if (out) adaptive_intervals_.clear(), predictive_intervals_.clear();
    const double adaptive = record_adaptive_tile(adaptive_state_, tile, t.planes, t.h, t.w, border, a);
    const double predictive = record_predictive_tile(predictive_state_, tile, t.planes, t.h, t.w, border, p);
    const bool pick = predictive < adaptive;
    if (out) {
      const std::vector<Interval>& chosen = pick ? predictive_intervals_ : adaptive_intervals_;
      out->insert(out->end(), chosen.begin(), chosen.end());
    }
    return pick ? Choice{TileMode::kPredictive, predictive} : Choice{TileMode::kAdaptive, adaptive};
  }
  // Pops a tile coded in `mode` and learns it with the other coder; throws CodingError if the
  // version has no such coder.
  void pop(Message& m, TileMode mode, uint8_t* tile, const Tile& t, const TileBorder& border) {
    if (mode == TileMode::kAdaptive) {
      pop_adaptive_tile(m, adaptive_state_, tile, t.planes, t.h, t.w, border);
      if (predictive_) learn_predictive_tile(predictive_state_, tile, t.planes, t.h, t.w, border);
    } else if (mode == TileMode::kPredictive && predictive_) {
      pop_predictive_tile(m, predictive_state_, tile, t.planes, t.h, t.w, border);
      learn_adaptive_tile(adaptive_state_, tile, t.planes, t.h, t.w, border);
    } else {
      throw CodingError("tile mode without a carried coder");
    }
  }
  // Learns a tile that another coder decoded.
  void learn(const uint8_t* tile, const Tile& t, const TileBorder& border) {
    learn_adaptive_tile(adaptive_state_, tile, t.planes, t.h, t.w, border);
    if (predictive_) learn_predictive_tile(predictive_state_, tile, t.planes, t.h, t.w, border);
  }

 private:
  bool predictive_;
  AdaptiveState adaptive_state_;
  PredictiveState predictive_state_;
  std::vector<Interval> adaptive_intervals_, predictive_intervals_;  // one tile's, for record
};

// The carried coders' codes of the colour tiles [first, end) of one stream of `tiles` (whose
// entries' planes are `coded`), computed in decoding order before the encoder pushes anything:
// per tile the cheaper coder, its bits and (if kept) its intervals.
struct CarriedCodes {
  std::vector<Interval> intervals;  // tile ti's are [begin[ti − first], + its subpixels)
  std::vector<size_t> begin;
  std::vector<CarriedCoders::Choice> choice;  // of tile ti − first (alpha tiles: none)
};

CarriedCodes code_carried(uint8_t version, const TileIndex& tiles, const std::vector<const ImageItem*>& coded,
                          uint64_t first, uint64_t end, bool keep_intervals) {
  CarriedCodes c;
  c.begin.assign(end - first, 0);
  c.choice.assign(end - first, CarriedCoders::Choice{TileMode::kAdaptive, 0});
  CarriedCoders coders(version);
  std::vector<uint8_t> buf;
  for (uint64_t ti = first; ti < end; ++ti) {
    const Tile t = tiles.at(ti);
    if (t.alpha) continue;
    const ImageItem& item = *coded[t.entry];
    buf.resize(t.subpixels());
    copy_tile_out(item, t, buf.data());
    c.begin[ti - first] = c.intervals.size();
    c.choice[ti - first] =
        coders.record(buf.data(), t, carried_border(item, t, ti, first), keep_intervals ? &c.intervals : nullptr);
  }
  return c;
}

// What the decoder's carried coders need for one tile.
struct CarriedContext {
  CarriedCoders* coders;
  const TileBorder* border;
};

// ---- the tile coders ---------------------------------------------------------------------------

// Mode distributions: a tile the flow may code is almost always flow-coded (0.09 bits; 0.14 from
// version 8); the others are mostly adaptive (to version 7) or predictive (from version 8, which
// has that mode).  Zero frequencies still get mass 1 (never chosen by the encoder; the decoder
// rejects them).
const CategoricalModel& mode_model(bool flow_capable, uint8_t version) {
  static const CategoricalModel flow_tiles(std::vector<uint64_t>{120, 2, 4, 1, 1});
  static const CategoricalModel other_tiles(std::vector<uint64_t>{0, 8, 48, 2, 6});
  static const CategoricalModel flow_tiles_v8(std::vector<uint64_t>{120, 2, 4, 1, 1, 4});
  static const CategoricalModel other_tiles_v8(std::vector<uint64_t>{0, 8, 24, 2, 6, 48});
  if (version >= 8) return flow_capable ? flow_tiles_v8 : other_tiles_v8;
  return flow_capable ? flow_tiles : other_tiles;
}

class TileCoder {
 public:
  TileCoder(const CodingModel& model, const FlowCoder& coder, uint8_t version)
      : model_(model), coder_(coder), version_(version) {
    const FlowConfig& cfg = model.config();
    flow_c_ = static_cast<uint32_t>(cfg.channels);
    flow_h_ = static_cast<uint32_t>(cfg.height);
    flow_w_ = static_cast<uint32_t>(cfg.width);
  }

  bool flow_capable(const ContainerImage& e, const Tile& t) const {
    return e.flow && !t.alpha && t.planes == flow_c_ && t.h == flow_h_ && t.w == flow_w_;
  }
  bool context_capable(const Tile& t) const { return t.planes == model_.direct->channels(); }
  static bool constant(const uint8_t* tile, const Tile& t) {
    const size_t n = size_t{t.h} * t.w;
    for (uint32_t p = 0; p < t.planes; ++p)
      for (size_t i = 1; i < n; ++i)
        if (tile[p * n + i] != tile[p * n]) return false;
    return true;
  }

  // The mode flag's distribution.
  const CategoricalModel& modes(bool flow_capable) const { return mode_model(flow_capable, version_); }

  // The cheapest coder other than the flow, and its bits (mode flag included); the carried
  // coders' choice if given, else the adaptive coder of the tile alone.
  TileMode best_direct(const uint8_t* tile, const Tile& t, bool flow_capable, double* bits,
                       const CarriedCoders::Choice* carried = nullptr) const {
    const CategoricalModel& modes = mode_model(flow_capable, version_);
    const auto flag = [&](TileMode m) { return model_bits(modes, static_cast<uint64_t>(m)); };
    TileMode best = TileMode::kRaw;
    *bits = 8.0 * t.subpixels() + flag(TileMode::kRaw);
    const auto consider = [&](TileMode m, double b) {
      b += flag(m);
      if (b < *bits) *bits = b, best = m;
    };
    if (constant(tile, t)) consider(TileMode::kConstant, 8.0 * t.planes);
    if (carried) {
      consider(carried->mode, carried->bits);
    } else {
      consider(TileMode::kAdaptive, adaptive_tile_bits(tile, t.planes, t.h, t.w));
    }
    if (context_capable(t)) consider(TileMode::kContext, model_.direct->image_bits(tile, t.h, t.w));
    return best;
  }

  void push_direct(Message& m, TileMode mode, const uint8_t* tile, const Tile& t) const {
    const size_t n = t.subpixels();
    switch (mode) {
      case TileMode::kConstant:
        for (uint32_t p = t.planes; p-- > 0;) push_uniform(m, tile[p * size_t{t.h} * t.w], 256);
        break;
      case TileMode::kRaw:
        for (size_t i = n; i-- > 0;) push_uniform(m, tile[i], 256);
        break;
      case TileMode::kAdaptive: push_adaptive_tile(m, tile, t.planes, t.h, t.w); break;  // the tile alone
      case TileMode::kContext: model_.direct->push_image(m, tile, t.h, t.w); break;
      case TileMode::kFlow:
      case TileMode::kPredictive: throw std::logic_error("push_direct: not a direct coder of the tile alone");
    }
  }

  // Pops the mode and the tile (an adaptive or predictive tile with the carried coders if `cc`
  // is given) and returns the mode; throws CodingError on impossible content.
  TileMode pop(Message& m, const ContainerImage& e, const Tile& t, uint8_t* tile, DetScratch& scratch,
               const CarriedContext* cc) const {
    const bool fc = flow_capable(e, t);
    const TileMode mode = static_cast<TileMode>(pop_symbol(m, mode_model(fc, version_)));
    const size_t n = t.subpixels(), plane = size_t{t.h} * t.w;
    switch (mode) {
      case TileMode::kFlow:
        if (!fc) throw CodingError("flow mode on a tile the flow cannot code");
        coder_.decode(m, tile, scratch);
        break;
      case TileMode::kConstant:
        for (uint32_t p = 0; p < t.planes; ++p)
          std::fill(tile + p * plane, tile + (p + 1) * plane, static_cast<uint8_t>(pop_uniform(m, 256)));
        break;
      case TileMode::kRaw:
        for (size_t i = 0; i < n; ++i) tile[i] = static_cast<uint8_t>(pop_uniform(m, 256));
        break;
      case TileMode::kAdaptive:
      case TileMode::kPredictive:
        if (cc) {
          cc->coders->pop(m, mode, tile, t, *cc->border);
        } else if (mode == TileMode::kAdaptive) {
          pop_adaptive_tile(m, tile, t.planes, t.h, t.w);
        } else {
          throw CodingError("predictive mode on a tile without the carried coders");
        }
        break;
      case TileMode::kContext:
        if (!context_capable(t)) throw CodingError("context mode on a tile of another channel count");
        model_.direct->pop_image(m, tile, t.h, t.w);
        break;
      default: throw CodingError("unknown tile mode");
    }
    return mode;
  }

  const FlowCoder& flow() const { return coder_; }
  uint8_t version() const { return version_; }
  uint32_t flow_channels() const { return flow_c_; }
  uint32_t flow_height() const { return flow_h_; }
  uint32_t flow_width() const { return flow_w_; }

 private:
  const CodingModel& model_;
  const FlowCoder& coder_;
  uint8_t version_;  // the container version coded: which modes exist
  uint32_t flow_c_, flow_h_, flow_w_;
};

// A message holding `bits` pseudo-random bits (for trial encodes that must not borrow).
Message filled_message(double bits) {
  Message m;
  uint64_t s = 0x9E3779B97F4A7C15ull;
  for (double b = 0; b < bits + 64; b += 32) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    m.push((s >> 32) << 31, uint64_t{1} << 31);
  }
  return m;
}

// The cheapest direct coder of tile `t` coded on its own (the carried coders starting fresh,
// without a border), and its bits in *bits.
TileMode best_direct_alone(const TileCoder& tc, const uint8_t* tile, const Tile& t, bool flow_capable,
                           double* bits) {
  CarriedCoders coders(tc.version());
  const CarriedCoders::Choice carried = coders.record(tile, t, TileBorder{}, nullptr);
  return tc.best_direct(tile, t, flow_capable, bits, &carried);
}

// Bits of flow tile `t` of `item` coded by the flow (on a scratch message holding the bits it
// pops first) or by the best direct coder, whichever is cheaper, mode flag included (the
// carried coders' `carried` choice, or if null theirs on the tile alone).
double flow_or_direct_bits(const TileCoder& tc, const ImageItem& item, const Tile& t, std::vector<uint8_t>* buf,
                           DetScratch& scratch, const CarriedCoders::Choice* carried = nullptr) {
  buf->resize(t.subpixels());
  copy_tile_out(item, t, buf->data());
  double direct = 0;
  if (carried) {
    tc.best_direct(buf->data(), t, true, &direct, carried);
  } else {
    best_direct_alone(tc, buf->data(), t, true, &direct);
  }
  Message m = filled_message(0.5 * tc.flow().params().precision_bits * static_cast<double>(buf->size()) + 1024);
  const double before = m.bits();
  tc.flow().encode(m, buf->data(), scratch);
  return std::min(direct, m.bits() - before + model_bits(tc.modes(true), 0));
}

// Full colour tiles of the flow's shape in `item`: a deterministic sample of up to `max_tiles`
// of them (the middles of equal parts).
std::vector<Tile> sample_tiles(const TileCoder& tc, const ImageItem& item, int max_tiles) {
  const uint32_t cc = colour_planes(item);
  const uint32_t fc = tc.flow_channels(), fh = tc.flow_height(), fw = tc.flow_width();
  if ((fc != cc && fc != 1) || item.h < fh || item.w < fw) return {};
  const uint64_t rows = item.h / fh, cols = item.w / fw, groups = cc / fc;
  const uint64_t full = uint64_t{item.count} * groups * rows * cols;
  const uint64_t n = std::min<uint64_t>(full, static_cast<uint64_t>(std::max(0, max_tiles)));
  std::vector<Tile> tiles(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t j = full * (2 * i + 1) / (2 * n);  // middles of n equal parts
    Tile& t = tiles[i];
    t.planes = fc, t.h = fh, t.w = fw;
    t.image = static_cast<uint32_t>(j / (groups * rows * cols));
    j %= groups * rows * cols;
    t.plane0 = static_cast<uint32_t>(j / (rows * cols)) * fc;
    j %= rows * cols;
    t.y0 = static_cast<uint32_t>(j / cols) * fh, t.x0 = static_cast<uint32_t>(j % cols) * fw;
  }
  return tiles;
}

// Bits per subpixel of the direct coders on the large tiles of a direct-only entry, estimated on
// the first and the middle tile of the middle image.
double direct_plan_bpd(const TileCoder& tc, const ImageItem& item) {
  Tile t;
  t.planes = colour_planes(item);
  t.h = std::min(item.h, kDirectTileSide), t.w = std::min(item.w, kDirectTileSide);
  t.image = item.count / 2;
  std::vector<uint8_t> buf(t.subpixels());
  double bits = 0, dims = 0;
  for (int k = 0; k < 2; ++k) {
    t.y0 = k == 0 ? 0 : (item.h - t.h) / 2, t.x0 = k == 0 ? 0 : (item.w - t.w) / 2;
    copy_tile_out(item, t, buf.data());
    double b = 0;
    best_direct_alone(tc, buf.data(), t, false, &b);
    bits += b, dims += static_cast<double>(buf.size());
  }
  return bits / dims;
}

// Large tiles of `planes` colour planes (the direct coders' layout).
void set_direct_tiles(ContainerImage* e, uint32_t planes) {
  e->flow = false;
  e->tile_h = std::min(e->h, kDirectTileSide), e->tile_w = std::min(e->w, kDirectTileSide);
  e->tile_channels = planes;
}

// Whether flow tiles code `item` in fewer bits than direct tiles, measured on the same pixels:
// blocks of up to 4×4 flow tiles (the middle of a single image, or whole images of an IDX
// entry, at most 16 flow tiles in all), each coded as one direct tile and as flow tiles (flow
// or the carried direct coders over the block, whichever is cheaper, each on a scratch
// message).  Returns the flow plan's bits per subpixel there, or a negative number unless it
// beats the direct coders by 2 %.  With `indices` (the item's palette index plane), also the
// direct coders' bits per index on the same blocks, in *index_bpd.
double flow_plan_bpd(const TileCoder& tc, const ImageItem& item, const ImageItem* indices, double* index_bpd) {
  const uint32_t cc = colour_planes(item), fc = tc.flow_channels(), fh = tc.flow_height(), fw = tc.flow_width();
  Tile block;
  block.planes = cc;
  block.h = std::min(item.h / fh, 4u) * fh, block.w = std::min(item.w / fw, 4u) * fw;
  block.y0 = (item.h - block.h) / 2 / fh * fh, block.x0 = (item.w - block.w) / 2 / fw * fw;
  const uint32_t per_block = (block.h / fh) * (block.w / fw) * (cc / fc);
  const uint32_t blocks = std::min<uint32_t>(item.count, std::max<uint32_t>(1, 16 / per_block));
  DetScratch scratch;
  std::vector<uint8_t> pixels(block.subpixels()), tile;
  double direct_bits = 0, flow_bits = 0, dims = 0, index_bits = 0;
  for (uint32_t b = 0; b < blocks; ++b) {
    block.image = static_cast<uint32_t>(uint64_t{item.count} * (2 * b + 1) / (2 * blocks));
    copy_tile_out(item, block, pixels.data());
    double bits = 0;
    best_direct_alone(tc, pixels.data(), block, false, &bits);
    direct_bits += bits;
    dims += static_cast<double>(pixels.size());
    if (indices) {
      Tile index_block = block;
      index_block.planes = 1;
      std::vector<uint8_t> index_pixels(index_block.subpixels());
      copy_tile_out(*indices, index_block, index_pixels.data());
      best_direct_alone(tc, index_pixels.data(), index_block, false, &bits);
      index_bits += bits;
    }
    // The block as an image of flow tiles, one stream.
    ImageItem part;
    part.channels = cc, part.h = block.h, part.w = block.w, part.count = 1;
    part.pixels = pixels;
    ContainerImage e;
    e.channels = cc, e.h = block.h, e.w = block.w, e.tile_h = fh, e.tile_w = fw, e.tile_channels = fc, e.flow = true;
    const std::vector<ContainerImage> entries{e};
    const TileIndex tiles(entries);
    const CarriedCodes carried_codes = code_carried(kContainerVersion, tiles, {&part}, 0, tiles.size(), false);
    for (uint64_t ti = 0; ti < tiles.size(); ++ti)
      flow_bits += flow_or_direct_bits(tc, part, tiles.at(ti), &tile, scratch, &carried_codes.choice[ti]);
  }
  if (index_bpd) *index_bpd = index_bits / (dims / cc);
  return flow_bits < 0.98 * direct_bits ? flow_bits / dims : -1;
}

// The container entry for `item`: tiles of the flow's shape if the flow can code them and
// codes them in fewer bits than the direct coders would code large tiles.  *flow_bpd is the
// flow plan's estimated bits per subpixel when it won on measurement, else negative; then
// *index_bpd is the direct coders' bits per palette index on the same pixels (`indices`: the
// palette index plane, or null).
ContainerImage plan_entry(const TileCoder& tc, const ImageItem& item, bool prefer_flow, const ImageItem* indices,
                          double* flow_bpd, double* index_bpd) {
  ContainerImage e;
  e.name = item.name;
  e.format = static_cast<uint8_t>(item.format);
  e.channels = item.channels, e.h = item.h, e.w = item.w, e.count = item.count;
  const uint32_t cc = e.colour_channels();
  const uint32_t fc = tc.flow_channels(), fh = tc.flow_height(), fw = tc.flow_width();
  bool flow = (fc == cc || fc == 1) && item.h >= fh && item.w >= fw;
  *flow_bpd = -1;
  if (flow && !prefer_flow) flow = (*flow_bpd = flow_plan_bpd(tc, item, indices, index_bpd)) >= 0;
  if (flow) {
    e.flow = true;
    e.tile_h = fh, e.tile_w = fw, e.tile_channels = fc;
  } else {
    set_direct_tiles(&e, cc);
  }
  if (e.has_alpha()) e.alpha_tile_h = std::min(item.h, kDirectTileSide), e.alpha_tile_w = std::min(item.w, kDirectTileSide);
  return e;
}

// ---- palettes -----------------------------------------------------------------------------------

uint32_t colour_at(const ImageItem& item, size_t i, size_t plane) {
  uint32_t v = 0;
  for (uint32_t c = 0; c < colour_planes(item); ++c) v = v << 8 | item.pixels[c * plane + i];
  return v;
}

// The colours of a single image with at most 256 of them, darkest first (so that indices of
// similar colours are close and the predictors still work), P × colours bytes; else empty.
std::vector<uint8_t> distinct_colours(const ImageItem& item) {
  if (item.count != 1) return {};
  const size_t plane = size_t{item.h} * item.w;
  const uint32_t cc = colour_planes(item);
  std::vector<uint32_t> seen;  // sorted; at most 257 entries
  for (size_t i = 0; i < plane; ++i) {
    const uint32_t v = colour_at(item, i, plane);
    const auto it = std::lower_bound(seen.begin(), seen.end(), v);
    if (it != seen.end() && *it == v) continue;
    seen.insert(it, v);
    if (seen.size() > 256) return {};
  }
  const auto luma = [cc](uint32_t v) {
    return cc == 1 ? v * 1000 : 299 * (v >> 16) + 587 * (v >> 8 & 255) + 114 * (v & 255);
  };
  std::stable_sort(seen.begin(), seen.end(), [&](uint32_t a, uint32_t b) { return luma(a) < luma(b); });
  std::vector<uint8_t> palette;
  for (uint32_t v : seen)
    for (uint32_t c = cc; c-- > 0;) palette.push_back(static_cast<uint8_t>(v >> (8 * c)));
  return palette;
}

// The image as its plane of palette indices, then its alpha plane.
ImageItem index_item(const ImageItem& item, const std::vector<uint8_t>& palette) {
  const uint32_t cc = colour_planes(item);
  const size_t plane = size_t{item.h} * item.w;
  std::vector<uint32_t> colours;
  for (size_t k = 0; k < palette.size(); k += cc) {
    uint32_t v = 0;
    for (uint32_t c = 0; c < cc; ++c) v = v << 8 | palette[k + c];
    colours.push_back(v);
  }
  std::vector<uint32_t> sorted = colours;
  std::sort(sorted.begin(), sorted.end());
  std::vector<uint8_t> index_of(sorted.size());
  for (size_t k = 0; k < colours.size(); ++k)
    index_of[std::lower_bound(sorted.begin(), sorted.end(), colours[k]) - sorted.begin()] = static_cast<uint8_t>(k);
  ImageItem out = item;
  out.channels = item.channels - cc + 1;
  out.pixels.resize(size_t{out.channels} * plane);
  for (size_t i = 0; i < plane; ++i) {
    const uint32_t v = colour_at(item, i, plane);
    out.pixels[i] = index_of[std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin()];
  }
  if (out.channels == 2) std::copy(item.pixels.begin() + cc * plane, item.pixels.end(), out.pixels.begin() + plane);
  return out;
}

// Palette entries back to their colours; throws CodingError on an index past the palette.
void expand_palette(const ContainerImage& e, const ImageItem& indices, ImageItem* out) {
  const uint32_t cc = e.colour_channels(), p = e.palette_size();
  const size_t plane = size_t{e.h} * e.w;
  for (size_t i = 0; i < plane; ++i) {
    const uint32_t k = indices.pixels[i];
    if (k >= p) throw CodingError("palette index " + std::to_string(k) + " of " + std::to_string(p) + " colours");
    for (uint32_t c = 0; c < cc; ++c) out->pixels[c * plane + i] = e.palette[k * cc + c];
  }
  if (e.has_alpha()) std::copy(indices.pixels.begin() + plane, indices.pixels.end(), out->pixels.begin() + cc * plane);
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

// The first tile of each of S streams so that streams hold about equal subpixels.
std::vector<uint64_t> stream_tile_counts(const TileIndex& tiles, uint64_t total_subpixels, uint32_t streams) {
  std::vector<uint64_t> counts(streams, 0);
  uint64_t done = 0;
  uint32_t s = 0;
  for (uint64_t t = 0; t < tiles.size(); ++t) {
    // Tile t goes to the stream whose share of the subpixels its first subpixel falls in.
    while (s + 1 < streams && done >= total_subpixels * (s + 1) / streams) ++s;
    ++counts[s];
    done += tiles.at(t).subpixels();
  }
  return counts;
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
  DetFlowModel::parallel_images(static_cast<int64_t>(sample.size()), resolve_threads(threads),
                                [&](int64_t k, DetScratch& scratch) {
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
  const double k = opt.coding.precision_bits;

  c.header.model_id = model_id_of(model.weights_hash);
  c.header.precision_bits = static_cast<uint8_t>(opt.coding.precision_bits);
  c.header.sigma = opt.coding.sigma;
  c.header.flags = (opt.float32_networks ? kFlagFloat32Networks : 0) |
                   (opt.float32_activations ? kFlagFloat32Activations : 0);
  // The planes each entry's tiles address: the image, or its palette indices (and alpha)
  // when that codes in fewer bits.
  std::vector<ImageItem> index_items;
  index_items.reserve(items.size());
  std::vector<const ImageItem*> coded(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    std::vector<uint8_t> palette = distinct_colours(items[i]);
    ImageItem indices;
    if (!palette.empty()) indices = index_item(items[i], palette);
    double flow_bpd = -1, index_bpd = -1;
    ContainerImage e =
        plan_entry(tc, items[i], opt.prefer_flow, palette.empty() ? nullptr : &indices, &flow_bpd, &index_bpd);
    coded[i] = &items[i];
    if (!palette.empty() && !(e.flow && opt.prefer_flow)) {
      // Palette indices against the colour plan that won (flow or direct), on the same pixels.
      const double plane_bits = 8.0 * palette.size();
      const double d_colour = static_cast<double>(colour_planes(items[i])) * items[i].h * items[i].w;
      const double d_index = static_cast<double>(items[i].h) * items[i].w;
      const double colour_bpd = e.flow ? flow_bpd : direct_plan_bpd(tc, items[i]);
      const double indices_bpd = e.flow ? index_bpd : direct_plan_bpd(tc, indices);
      if (indices_bpd * d_index + plane_bits < colour_bpd * d_colour) {
        index_items.push_back(std::move(indices));
        coded[i] = &index_items.back();
        e.palette = std::move(palette);
        set_direct_tiles(&e, 1);
      }
    }
    c.images.push_back(std::move(e));
  }
  const uint64_t d = c.total_subpixels();
  if (d > kMaxSubpixels) throw InputError("more than 2^34 subpixels in one file (split the input)");
  const TileIndex tiles(c.images);
  const uint64_t n_tiles = tiles.size();
  // Two streams per 2^24 subpixels, but one below 2^18: every stream starts with ~20 tiles coded
  // directly (until its message is deep enough for the flow's first pops), which costs 1.5-4 %
  // of a small image's file (a 256×256 photograph) and saves it about a second.
  const uint64_t auto_streams = d < kOneStreamSubpixels ? 1 : 2 * ((d + (uint64_t{1} << 24) - 1) >> 24);
  const uint32_t streams = static_cast<uint32_t>(std::max<uint64_t>(
      1, std::min<uint64_t>({n_tiles, opt.streams > 0 ? static_cast<uint64_t>(opt.streams) : auto_streams, kMaxStreams})));
  c.stream_tiles = stream_tile_counts(tiles, d, streams);
  c.streams.resize(streams);
  std::vector<uint64_t> first(streams + 1, 0);
  for (uint32_t s = 0; s < streams; ++s) first[s + 1] = first[s] + c.stream_tiles[s];
  std::vector<CompressReport> per(streams);
  ProgressCounter progress{opt.progress, static_cast<int64_t>(d)};

  DetFlowModel::parallel_images(streams, resolve_threads(opt.threads), [&](int64_t s, DetScratch& scratch) {
    Message m;
    const double bits0 = m.bits();
    std::vector<uint8_t> buf;
    std::vector<double> u;
    CompressReport& r = per[s];
    const CarriedCodes carried_codes = code_carried(c.header.version, tiles, coded, first[s], first[s + 1], true);
    // Message bits per subpixel of a tile before its flow trial is worth running: k/2 at first;
    // after a trial that borrowed, 0.9× the depth it reached, so the following tiles are not
    // tried in vain while the message is still too short (the flow's first pops go ≈ 36 bits
    // per subpixel deep at k = 32 on the shipped models, 55 before container version 7).
    // Encoder-only: the decoder reads each tile's mode.
    double trial_depth_bps = 0.5 * k;
    FlowTrialGate gate;  // and trials only where the stream's earlier trials paid off
    for (uint64_t ti = first[s + 1]; ti-- > first[s];) {  // pushed last tile first: decoded first tile first
      const Tile t = tiles.at(ti);
      const ContainerImage& e = c.images[t.entry];
      buf.resize(t.subpixels());
      copy_tile_out(*coded[t.entry], t, buf.data());
      const bool fc = tc.flow_capable(e, t);
      const bool carried_tile = carried(c.header.version, t);
      double direct_bits = 0;
      TileMode mode =
          tc.best_direct(buf.data(), t, fc, &direct_bits, carried_tile ? &carried_codes.choice[ti - first[s]] : nullptr);
      double tile_bits = direct_bits;
      const double before = m.bits();
      // The flow, once the message can lend what it pops first (DESIGN.md §6) and unless the
      // gate expects it to lose; kept only if it borrowed nothing and beat the direct coders,
      // else the trial is rolled back (M6).
      const double subpixels = static_cast<double>(buf.size());
      bool trial = fc && before - bits0 >= trial_depth_bps * subpixels;
      if (trial && !opt.exhaustive && !opt.prefer_flow && !gate.worth_trying(direct_bits / subpixels)) {
        trial = false;
        ++r.flow_trials_skipped;
      }
      if (trial) {
        const uint64_t borrowed = m.max_borrowed();
        m.begin_trial();
        coder.encode(m, buf.data(), scratch, &u);
        const double flow_bits = m.bits() - before + model_bits(tc.modes(true), 0);
        ++r.flow_trials;
        const bool borrowed_any = m.max_borrowed() != borrowed;
        if (borrowed_any) {  // w words borrowed: ≥ (w − 1)·32 bits below the bottom
          ++r.flow_trials_borrowed;
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
          r.flow_net_bits += flow_bits;
          r.flow_dims += static_cast<int64_t>(buf.size());
          if (opt.theoretical) {
            const double bound = coder.theoretical_bits(buf.data(), u, scratch);
            r.flow_theoretical_bits += bound;
            r.theoretical_bits += bound;
          }
        } else {
          m.rollback();
        }
      }
      if ((mode == TileMode::kAdaptive || mode == TileMode::kPredictive) && carried_tile) {
        push_intervals_reversed(m, carried_codes.intervals.data() + carried_codes.begin[ti - first[s]], buf.size());
        r.theoretical_bits += direct_bits;
      } else if (mode != TileMode::kFlow) {
        tc.push_direct(m, mode, buf.data(), t);
        r.theoretical_bits += direct_bits;
      }
      push_symbol(m, tc.modes(fc), static_cast<uint64_t>(mode));
      ++r.tiles_by_mode[static_cast<int>(mode)];
      if (t.edge) {
        ++r.edge_tiles;
        r.edge_bits += tile_bits;
        r.edge_dims += static_cast<int64_t>(buf.size());
      }
      progress.add(static_cast<int64_t>(buf.size()));
    }
    r.net_bits = m.bits() - bits0;
    r.aux_bits = 32 * m.max_borrowed();
    c.streams[s] = m.to_bytes();
  });
  uint32_t crc = 0;
  for (const ImageItem& item : items) crc = crc32(item.pixels.data(), item.pixels.size(), crc);
  c.images_crc32 = crc;
  try {
    check_container(c);
  } catch (const std::invalid_argument& e) {
    throw InputError(std::string("cannot store these images: ") + e.what());
  }

  if (report) {
    *report = CompressReport{};
    report->entries = static_cast<int64_t>(items.size());
    for (const ImageItem& item : items) report->images += item.count;
    report->tiles = static_cast<int64_t>(n_tiles);
    report->dims = static_cast<int64_t>(d);
    for (const auto& r : per) {
      for (int i = 0; i < kTileModes; ++i) report->tiles_by_mode[i] += r.tiles_by_mode[i];
      report->edge_tiles += r.edge_tiles;
      report->edge_bits += r.edge_bits;
      report->edge_dims += r.edge_dims;
      report->theoretical_bits += r.theoretical_bits;
      report->net_bits += r.net_bits;
      report->aux_bits += r.aux_bits;
      report->flow_net_bits += r.flow_net_bits;
      report->flow_theoretical_bits += r.flow_theoretical_bits;
      report->flow_dims += r.flow_dims;
      report->flow_trials += r.flow_trials;
      report->flow_trials_borrowed += r.flow_trials_borrowed;
      report->flow_trials_skipped += r.flow_trials_skipped;
    }
    report->total_bytes = container_overhead(c);
    for (const auto& s : c.streams) report->total_bytes += s.size();
    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return c;
}

std::vector<ImageItem> decompress_items(const CodingModel& model, const Container& c, int threads,
                                        const std::string& name,
                                        const std::function<void(int64_t, int64_t)>& progress_fn) {
  check_model(c, model.weights_hash, name);
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
  // Decoded into the planes the tiles address (palette indices for palette entries).
  std::vector<ImageItem> out(c.images.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const ContainerImage& e = c.images[i];
    ImageItem& item = out[i];
    item.name = e.name;
    item.format = static_cast<ImageFormat>(e.format);
    item.channels = e.coded_planes(), item.h = e.h, item.w = e.w, item.count = e.count;
    item.pixels.resize(uint64_t{e.count} * item.channels * e.h * e.w);  // bounded by the file's size
  }
  const TileIndex tiles(c.images);
  const uint32_t streams = static_cast<uint32_t>(c.streams.size());
  std::vector<uint64_t> first(streams + 1, 0);
  for (uint32_t s = 0; s < streams; ++s) first[s + 1] = first[s] + c.stream_tiles[s];
  ProgressCounter progress{progress_fn, static_cast<int64_t>(c.total_subpixels())};
  DetFlowModel::parallel_images(streams, resolve_threads(threads), [&](int64_t s, DetScratch& scratch) {
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
    const uint64_t n = first[s + 1] - first[s];
    try {
      for (uint64_t k = 0; k < n; ++k) {
        const uint64_t ti = forward ? first[s] + k : first[s + 1] - 1 - k;
        const Tile t = tiles.at(ti);
        buf.resize(t.subpixels());
        if (carried(c.header.version, t)) {
          const TileBorder border = carried_border(out[t.entry], t, ti, first[s]);
          const CarriedContext cc{&carried_coders, &border};
          const TileMode mode = tc.pop(m, c.images[t.entry], t, buf.data(), scratch, &cc);
          if (mode != TileMode::kAdaptive && mode != TileMode::kPredictive)
            carried_coders.learn(buf.data(), t, border);  // they learn every colour tile
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
  });
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

}  // namespace lbb
