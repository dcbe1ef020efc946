#include "coding/planning.h"

#include <algorithm>
#include <string>
#include <utility>

namespace lbb {

namespace {

// ---- measuring the coders on a few tiles ----------------------------------------------------------

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

// ---- palettes -------------------------------------------------------------------------------------

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

}  // namespace

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

double flow_or_direct_bits(const TileCoder& tc, const ImageItem& item, const Tile& t, std::vector<uint8_t>* buf,
                           DetScratch& scratch, const CarriedCoders::Choice* carried) {
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

CodingPlan plan_entries(const TileCoder& tc, const std::vector<ImageItem>& items, bool prefer_flow) {
  CodingPlan plan;
  plan.index_items.reserve(items.size());  // (pointers into it stay valid)
  plan.coded.resize(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    std::vector<uint8_t> palette = distinct_colours(items[i]);
    ImageItem indices;
    if (!palette.empty()) indices = index_item(items[i], palette);
    double flow_bpd = -1, index_bpd = -1;
    ContainerImage e =
        plan_entry(tc, items[i], prefer_flow, palette.empty() ? nullptr : &indices, &flow_bpd, &index_bpd);
    plan.coded[i] = &items[i];
    if (!palette.empty() && !(e.flow && prefer_flow)) {
      // Palette indices against the colour plan that won (flow or direct), on the same pixels.
      const double plane_bits = 8.0 * palette.size();
      const double d_colour = static_cast<double>(colour_planes(items[i])) * items[i].h * items[i].w;
      const double d_index = static_cast<double>(items[i].h) * items[i].w;
      const double colour_bpd = e.flow ? flow_bpd : direct_plan_bpd(tc, items[i]);
      const double indices_bpd = e.flow ? index_bpd : direct_plan_bpd(tc, indices);
      if (indices_bpd * d_index + plane_bits < colour_bpd * d_colour) {
        plan.index_items.push_back(std::move(indices));
        plan.coded[i] = &plan.index_items.back();
        e.palette = std::move(palette);
        set_direct_tiles(&e, 1);
      }
    }
    plan.entries.push_back(std::move(e));
  }
  return plan;
}

uint32_t plan_stream_count(uint64_t d, uint64_t n_tiles, int requested) {
  // Two streams per 2^24 subpixels, but one below 2^18: every stream starts with ~20 tiles coded
  // directly (until its message is deep enough for the flow's first pops), which costs 1.5-4 %
  // of a small image's file (a 256×256 photograph) and saves it about a second.
  const uint64_t auto_streams = d < kOneStreamSubpixels ? 1 : 2 * ((d + (uint64_t{1} << 24) - 1) >> 24);
  return static_cast<uint32_t>(std::max<uint64_t>(
      1, std::min<uint64_t>({n_tiles, requested > 0 ? static_cast<uint64_t>(requested) : auto_streams, kMaxStreams})));
}

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

}  // namespace lbb
