// The tile coders, behind one table: every way a tile can be coded is one TileModeCoder entry
// ({mode, name, since, bits, push, pop, record, pop_carried, learn}), and the rest of the coding
// path (TileCoder here, planning.h, compression.cc) only walks the table.
//
//   flow        local bits-back with the trained flow (flow_coder.h: full colour tiles of the
//               flow's shape, once the message holds enough bits to lend, DESIGN.md §6)
//   raw         8 bits per sample
//   constant    one value per plane (8 bits each)
//   adaptive    the adaptive context model (model/adaptive_image_model.h): of the tile alone,
//               or carried from colour tile to colour tile of the stream (from version 4)
//   predictive  the predictive coder (model/predictive_image_model.h), carried (from version 8)
//   context     the model file's static context model (model/context_image_model.h)
//
// A tile is coded by whichever costs fewest bits, and then its TileMode is pushed (so the
// decoder pops it first) with the distribution of mode_model(). A new mode: a TileMode value,
// an entry in the table (tile_modes.cc), and its flag frequencies in a new container version's
// row of mode_model().
#pragma once

#include <cstdint>
#include <vector>

#include "ans/message.h"
#include "coding/coding_model.h"
#include "coding/flow_coder.h"
#include "coding/tiles.h"
#include "model/adaptive_image_model.h"
#include "model/categorical.h"
#include "model/model.h"
#include "model/predictive_image_model.h"
#include "model/tile_border.h"

namespace lbb {

// How one tile was coded: the value of its mode flag (so never renumbered).
enum class TileMode : uint8_t { kFlow = 0, kContext = 1, kAdaptive = 2, kRaw = 3, kConstant = 4, kPredictive = 5 };
inline constexpr int kTileModes = 6;

// The carried coders' states of one stream (colour tiles from container version 4): each runs
// over every colour tile of the stream, whatever coded it, in decoding order.
struct CarriedState {
  AdaptiveState adaptive;
  PredictiveState predictive;
};

// One way to code a tile. Function pointers are null where the mode does not code that way.
struct TileModeCoder {
  TileMode mode;
  const char* name;       // "flow", "raw", …: the report's "<name>_tiles"
  uint8_t since_version;  // the first container version with the mode
  // The tile alone. bits: exact bits without the mode flag, negative where the mode cannot
  // code the tile; push then pop restores the message; pop throws CodingError on a tile the
  // mode cannot have coded.
  double (*bits)(const CodingModel& model, const uint8_t* tile, const Tile& t);
  void (*push)(const CodingModel& model, Message& m, const uint8_t* tile, const Tile& t);
  void (*pop)(const CodingModel& model, Message& m, uint8_t* tile, const Tile& t);
  // Carried across the stream. record: learns the tile and returns its exact bits (appending its
  // intervals to `out` if not null: push them with push_intervals_reversed); pop_carried: the
  // decoder's mirror of record; learn: updates the state as record does, for a tile another
  // mode coded.
  double (*record)(CarriedState& s, const uint8_t* tile, const Tile& t, const TileBorder& b, std::vector<Interval>* out);
  void (*pop_carried)(CarriedState& s, Message& m, uint8_t* tile, const Tile& t, const TileBorder& b);
  void (*learn)(CarriedState& s, const uint8_t* tile, const Tile& t, const TileBorder& b);
};

// Every mode, in the order the encoder considers them (ties go to the earlier entry).
const std::vector<TileModeCoder>& tile_mode_coders();
// The entry of `mode`; null for a value no entry has.
const TileModeCoder* find_tile_mode(TileMode mode);

// The mode flag's distribution: tiles the flow may code, and the others (per container version).
const CategoricalModel& mode_model(bool flow_capable, uint8_t version);

// Whether tile t is coded with the stream's carried coders: every colour tile from version 4.
bool carried_tile(uint8_t version, const Tile& t);

// The carried coders of a version, one set per stream: those entries with `record` that the
// version has. A tile coded by one of them is coded by the cheapest (earlier entries win ties).
class CarriedCoders {
 public:
  explicit CarriedCoders(uint8_t version);

  struct Choice {
    TileMode mode;  // a carried mode
    double bits;    // its exact bits (no mode flag)
  };
  // Learns tile `t` with every carried coder and returns the cheapest; appends its intervals
  // to `out` if not null.
  Choice record(const uint8_t* tile, const Tile& t, const TileBorder& border, std::vector<Interval>* out);
  // Pops a tile coded in `mode` and learns it with the others; throws CodingError if the
  // version has no such carried coder.
  void pop(Message& m, TileMode mode, uint8_t* tile, const Tile& t, const TileBorder& border);
  // Learns a tile that another coder decoded.
  void learn(const uint8_t* tile, const Tile& t, const TileBorder& border);

 private:
  std::vector<const TileModeCoder*> coders_;    // in table order
  CarriedState state_;
  std::vector<std::vector<Interval>> intervals_;  // one tile's, per coder, for record
};

// The carried coders' codes of the colour tiles [first, end) of one stream of `tiles` (whose
// entries' planes are `coded`), computed in decoding order before the encoder pushes anything:
// per tile the cheapest coder, its bits and (if kept) its intervals.
struct CarriedCodes {
  std::vector<Interval> intervals;  // tile ti's are [begin[ti − first], + its subpixels)
  std::vector<size_t> begin;
  std::vector<CarriedCoders::Choice> choice;  // of tile ti − first (alpha tiles: none)
};
CarriedCodes code_carried(uint8_t version, const TileIndex& tiles, const std::vector<const ImageItem*>& coded,
                          uint64_t first, uint64_t end, bool keep_intervals);

// What the decoder's carried coders need for one tile.
struct CarriedContext {
  CarriedCoders* coders;
  const TileBorder* border;
};

// The tile coders of one container version with one model and flow coder.
class TileCoder {
 public:
  TileCoder(const CodingModel& model, const FlowCoder& coder, uint8_t version);

  bool flow_capable(const ContainerImage& e, const Tile& t) const {
    return e.flow && !t.alpha && t.planes == flow_c_ && t.h == flow_h_ && t.w == flow_w_;
  }
  // The mode flag's distribution.
  const CategoricalModel& modes(bool flow_capable) const { return mode_model(flow_capable, version_); }

  // The cheapest coder other than the flow, and its bits (mode flag included); the carried
  // coders' choice if given, else the coders of the tile alone.
  TileMode best_direct(const uint8_t* tile, const Tile& t, bool flow_capable, double* bits,
                       const CarriedCoders::Choice* carried = nullptr) const;
  // Pushes the tile with a coder of the tile alone (not the flow, not a carried coder).
  void push_direct(Message& m, TileMode mode, const uint8_t* tile, const Tile& t) const;
  // Pops the mode and the tile and returns the mode; throws CodingError on impossible content.
  // With `cc` (carried tiles), a carried mode is popped by the carried coders, and they learn
  // the tile whatever coded it.
  TileMode pop(Message& m, const ContainerImage& e, const Tile& t, uint8_t* tile, DetScratch& scratch,
               const CarriedContext* cc) const;

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

}  // namespace lbb
