#include "coding/tile_modes.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "common/assert.h"
#include "model/uniform.h"

namespace lbb {

namespace {

// ---- the coders of the tile alone ---------------------------------------------------------------

double raw_bits(const CodingModel&, const uint8_t*, const Tile& t) { return 8.0 * t.subpixels(); }
void push_raw(const CodingModel&, Message& m, const uint8_t* tile, const Tile& t) {
  for (size_t i = t.subpixels(); i-- > 0;) push_uniform(m, tile[i], 256);
}
void pop_raw(const CodingModel&, Message& m, uint8_t* tile, const Tile& t) {
  const size_t n = t.subpixels();
  for (size_t i = 0; i < n; ++i) tile[i] = static_cast<uint8_t>(pop_uniform(m, 256));
}

double constant_bits(const CodingModel&, const uint8_t* tile, const Tile& t) {
  const size_t n = size_t{t.h} * t.w;
  for (uint32_t p = 0; p < t.planes; ++p)
    for (size_t i = 1; i < n; ++i)
      if (tile[p * n + i] != tile[p * n]) return -1;
  return 8.0 * t.planes;
}
void push_constant(const CodingModel&, Message& m, const uint8_t* tile, const Tile& t) {
  for (uint32_t p = t.planes; p-- > 0;) push_uniform(m, tile[p * size_t{t.h} * t.w], 256);
}
void pop_constant(const CodingModel&, Message& m, uint8_t* tile, const Tile& t) {
  const size_t plane = size_t{t.h} * t.w;
  for (uint32_t p = 0; p < t.planes; ++p)
    std::fill(tile + p * plane, tile + (p + 1) * plane, static_cast<uint8_t>(pop_uniform(m, 256)));
}

double adaptive_bits(const CodingModel&, const uint8_t* tile, const Tile& t) {
  return adaptive_tile_bits(tile, t.planes, t.h, t.w);
}
void push_adaptive(const CodingModel&, Message& m, const uint8_t* tile, const Tile& t) {
  push_adaptive_tile(m, tile, t.planes, t.h, t.w);
}
void pop_adaptive(const CodingModel&, Message& m, uint8_t* tile, const Tile& t) {
  pop_adaptive_tile(m, tile, t.planes, t.h, t.w);
}

// The model file's context model codes tiles of its own channel count only.
bool context_capable(const CodingModel& model, const Tile& t) { return t.planes == model.direct->channels(); }
double context_bits(const CodingModel& model, const uint8_t* tile, const Tile& t) {
  return context_capable(model, t) ? model.direct->image_bits(tile, t.h, t.w) : -1;
}
void push_context(const CodingModel& model, Message& m, const uint8_t* tile, const Tile& t) {
  model.direct->push_image(m, tile, t.h, t.w);
}
void pop_context(const CodingModel& model, Message& m, uint8_t* tile, const Tile& t) {
  if (!context_capable(model, t)) throw CodingError("context mode on a tile of another channel count");
  model.direct->pop_image(m, tile, t.h, t.w);
}

// ---- the carried coders ---------------------------------------------------------------------------

// A carried coder of model/: its record, pop and learn functions on its member of CarriedState.
template <auto kState, auto kRecord, auto kPop, auto kLearn>
struct Carried {
  static double record(CarriedState& s, const uint8_t* tile, const Tile& t, const TileBorder& b,
                       std::vector<Interval>* out) {
    return kRecord(s.*kState, tile, t.planes, t.h, t.w, b, out);
  }
  static void pop(CarriedState& s, Message& m, uint8_t* tile, const Tile& t, const TileBorder& b) {
    kPop(m, s.*kState, tile, t.planes, t.h, t.w, b);
  }
  static void learn(CarriedState& s, const uint8_t* tile, const Tile& t, const TileBorder& b) {
    kLearn(s.*kState, tile, t.planes, t.h, t.w, b);
  }
};
using CarriedAdaptive =
    Carried<&CarriedState::adaptive, record_adaptive_tile,
            static_cast<void (*)(Message&, AdaptiveState&, uint8_t*, uint32_t, uint32_t, uint32_t, const TileBorder&)>(
                pop_adaptive_tile),
            learn_adaptive_tile>;
using CarriedPredictive =
    Carried<&CarriedState::predictive, record_predictive_tile, pop_predictive_tile, learn_predictive_tile>;

}  // namespace

// The flow has no function here: the encoder runs its trials (compression.cc) and TileCoder::pop
// decodes it with the FlowCoder.
const std::vector<TileModeCoder>& tile_mode_coders() {
  static const std::vector<TileModeCoder> table{
      // mode                name          since  bits           push           pop           record / pop_carried / learn
      {TileMode::kFlow,       "flow",       3,     nullptr,       nullptr,       nullptr,      nullptr, nullptr, nullptr},
      {TileMode::kRaw,        "raw",        3,     raw_bits,      push_raw,      pop_raw,      nullptr, nullptr, nullptr},
      {TileMode::kConstant,   "constant",   3,     constant_bits, push_constant, pop_constant, nullptr, nullptr, nullptr},
      {TileMode::kAdaptive,   "adaptive",   3,     adaptive_bits, push_adaptive, pop_adaptive,
       CarriedAdaptive::record, CarriedAdaptive::pop, CarriedAdaptive::learn},
      {TileMode::kPredictive, "predictive", 8,     nullptr,       nullptr,       nullptr,
       CarriedPredictive::record, CarriedPredictive::pop, CarriedPredictive::learn},
      {TileMode::kContext,    "context",    3,     context_bits,  push_context,  pop_context,  nullptr, nullptr, nullptr},
  };
  return table;
}

const TileModeCoder* find_tile_mode(TileMode mode) {
  for (const TileModeCoder& c : tile_mode_coders())
    if (c.mode == mode) return &c;
  return nullptr;
}

// Mode distributions, indexed by TileMode: a tile the flow may code is almost always
// flow-coded (0.09 bits; 0.14 from version 8); the others are mostly adaptive (to version 7) or
// predictive (from version 8, which has that mode).  Zero frequencies still get mass 1 (never
// chosen by the encoder; the decoder rejects them).
const CategoricalModel& mode_model(bool flow_capable, uint8_t version) {
  static const CategoricalModel flow_tiles(std::vector<uint64_t>{120, 2, 4, 1, 1});
  static const CategoricalModel other_tiles(std::vector<uint64_t>{0, 8, 48, 2, 6});
  static const CategoricalModel flow_tiles_v8(std::vector<uint64_t>{120, 2, 4, 1, 1, 4});
  static const CategoricalModel other_tiles_v8(std::vector<uint64_t>{0, 8, 24, 2, 6, 48});
  if (version >= 8) return flow_capable ? flow_tiles_v8 : other_tiles_v8;
  return flow_capable ? flow_tiles : other_tiles;
}

bool carried_tile(uint8_t version, const Tile& t) { return version >= 4 && !t.alpha; }

// ---- CarriedCoders --------------------------------------------------------------------------------

CarriedCoders::CarriedCoders(uint8_t version) {
  for (const TileModeCoder& c : tile_mode_coders())
    if (c.record && c.since_version <= version) coders_.push_back(&c);
  intervals_.resize(coders_.size());
  LBB_ASSERT(!coders_.empty() && coders_[0]->mode == TileMode::kAdaptive);  // every version ≥ 4 has it
}

CarriedCoders::Choice CarriedCoders::record(const uint8_t* tile, const Tile& t, const TileBorder& border,
                                            std::vector<Interval>* out) {
  size_t best = 0;
  Choice choice{TileMode::kAdaptive, std::numeric_limits<double>::infinity()};
  for (size_t k = 0; k < coders_.size(); ++k) {
    std::vector<Interval>* mine = out ? &intervals_[k] : nullptr;
    if (mine) mine->clear();
    const double bits = coders_[k]->record(state_, tile, t, border, mine);
    if (k == 0 || bits < choice.bits) best = k, choice = Choice{coders_[k]->mode, bits};
  }
  if (out) out->insert(out->end(), intervals_[best].begin(), intervals_[best].end());
  return choice;
}

void CarriedCoders::pop(Message& m, TileMode mode, uint8_t* tile, const Tile& t, const TileBorder& border) {
  const auto it = std::find_if(coders_.begin(), coders_.end(), [mode](const TileModeCoder* c) { return c->mode == mode; });
  if (it == coders_.end()) throw CodingError("tile mode without a carried coder");
  (*it)->pop_carried(state_, m, tile, t, border);
  for (const TileModeCoder* c : coders_)
    if (c != *it) c->learn(state_, tile, t, border);  // the others learn what it decoded
}

void CarriedCoders::learn(const uint8_t* tile, const Tile& t, const TileBorder& border) {
  for (const TileModeCoder* c : coders_) c->learn(state_, tile, t, border);
}

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
        coders.record(buf.data(), t, carried_border(PlanesView::of(item), t, ti, first), keep_intervals ? &c.intervals : nullptr);
    LBB_ASSERT(!keep_intervals || c.intervals.size() - c.begin[ti - first] == buf.size());  // one per subpixel
  }
  return c;
}

// ---- TileCoder ------------------------------------------------------------------------------------

TileCoder::TileCoder(const CodingModel& model, const FlowCoder& coder, uint8_t version)
    : model_(model), coder_(coder), version_(version) {
  const FlowConfig& cfg = model.config();
  flow_c_ = static_cast<uint32_t>(cfg.channels);
  flow_h_ = static_cast<uint32_t>(cfg.height);
  flow_w_ = static_cast<uint32_t>(cfg.width);
}

TileMode TileCoder::best_direct(const uint8_t* tile, const Tile& t, bool flow_capable, double* bits,
                                const CarriedCoders::Choice* carried) const {
  const CategoricalModel& modes = mode_model(flow_capable, version_);
  TileMode best = TileMode::kRaw;
  *bits = std::numeric_limits<double>::infinity();
  for (const TileModeCoder& c : tile_mode_coders()) {
    if (c.since_version > version_) continue;
    double b = -1;
    if (carried && c.record) {
      if (c.mode == carried->mode) b = carried->bits;  // the carried coders chose among themselves
    } else if (c.bits) {
      b = c.bits(model_, tile, t);
    }
    if (b < 0) continue;
    b += model_bits(modes, static_cast<uint64_t>(c.mode));
    if (b < *bits) *bits = b, best = c.mode;
  }
  return best;
}

void TileCoder::push_direct(Message& m, TileMode mode, const uint8_t* tile, const Tile& t) const {
  const TileModeCoder* c = find_tile_mode(mode);
  if (!c || !c->push) throw std::logic_error("push_direct: not a direct coder of the tile alone");
  c->push(model_, m, tile, t);
}

TileMode TileCoder::pop(Message& m, const ContainerImage& e, const Tile& t, uint8_t* tile, DetScratch& scratch,
                        const CarriedContext* cc) const {
  const bool fc = flow_capable(e, t);
  const TileMode mode = static_cast<TileMode>(pop_symbol(m, mode_model(fc, version_)));
  const TileModeCoder* c = find_tile_mode(mode);
  if (!c || c->since_version > version_) throw CodingError("unknown tile mode");
  if (mode == TileMode::kFlow) {
    if (!fc) throw CodingError("flow mode on a tile the flow cannot code");
    coder_.decode(m, tile, scratch);
  } else if (cc && c->pop_carried) {
    cc->coders->pop(m, mode, tile, t, *cc->border);
    return mode;  // (the other carried coders learnt it)
  } else if (c->pop) {
    c->pop(model_, m, tile, t);
  } else {
    throw CodingError(std::string(c->name) + " mode on a tile without the carried coders");
  }
  if (cc) cc->coders->learn(tile, t, *cc->border);  // they learn every colour tile
  return mode;
}

}  // namespace lbb
