// lbb retile --model M --tile T -o OUT: the same weights, coding TxT tiles. A fully
// convolutional flow (no attention, per-channel actnorm: no parameter depends on H or W)
// trained on PxP crops codes tiles of any size its squeezes divide; larger tiles leave fewer
// tile borders without context (docs/photo_models.md measures bits/dim against T).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/errors.h"
#include "det/flow_config.h"
#include "format/container.h"
#include "io/tensor_archive.h"
#include "lbb_commands.h"
#include "options.h"

namespace lbb {

namespace {

// A coupling's mask [1, C, h, w] (flow/layers.cc make_mask: checkerboard or channel halves, a
// pattern of period 2 in both directions) at the scale of a tile of side `tile` instead of `old`.
NamedTensor retiled_mask(const NamedTensor& m, int64_t tile, int64_t old, const std::string& origin) {
  if (m.shape.size() != 4 || m.shape[0] != 1 || m.shape[2] % 2 || m.shape[3] % 2 || old % m.shape[2])
    throw InputError(origin + ": tensor `" + m.name + "` is not a coupling mask");
  const int64_t c = m.shape[1], h = m.shape[2], w = m.shape[3];
  auto at = [&](int64_t ch, int64_t y, int64_t x) { return m.data[static_cast<size_t>((ch * h + y) * w + x)]; };
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        if (at(ch, y, x) != at(ch, y % 2, x % 2))
          throw InputError(origin + ": tensor `" + m.name + "` is not a period-2 mask; cannot retile");
  NamedTensor out;
  out.name = m.name;
  out.shape = {1, c, h * tile / old, w * tile / old};
  out.data.resize(static_cast<size_t>(c * out.shape[2] * out.shape[3]));
  size_t i = 0;
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < out.shape[2]; ++y)
      for (int64_t x = 0; x < out.shape[3]; ++x) out.data[i++] = at(ch, y % 2, x % 2);
  return out;
}

}  // namespace

void add_retile_command(CLI::App& app) {
  struct Args {
    std::string model, out;
    uint32_t tile = 0;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("retile", "Write a copy of a convolutional model that codes TxT tiles");
  cmd->add_option("--model,-m", args->model, "Model file")->required();
  cmd->add_option("--tile,-t", args->tile, "Tile side T")->required()->check(integer_in_range(1, kMaxTileSide));
  cmd->add_option("--out,-o", args->out, "Model file to write")->required();
  cmd->add_flag("--force,-f", args->force, "Replace OUT if it exists");
  cmd->callback([args] {
    TensorArchive archive = load_archive(args->model);
    auto format = archive.meta.find("format");
    auto cfg_text = archive.meta.find("config");
    if (format == archive.meta.end() || format->second != "lbb-model" || cfg_text == archive.meta.end())
      throw InputError(args->model + ": not an lbb model file");
    FlowConfig cfg = parse_flow_config(cfg_text->second, args->model + " (config)");
    if (cfg.attention)
      throw InputError(args->model + ": has self-attention, whose layers depend on the tile size; cannot retile");
    if (cfg.actnorm != ActNormKind::kPerChannel)
      throw InputError(args->model + ": has per-position actnorm; cannot retile");
    uint32_t multiple = 1u << cfg.base_squeezes;
    for (FlowStep step : cfg.steps)
      if (step == FlowStep::kSqueeze) multiple *= 2;
    if (args->tile % multiple)
      throw InputError("--tile " + std::to_string(args->tile) + ": the model's squeezes need a multiple of " +
                       std::to_string(multiple));
    const int64_t old_side = cfg.height;
    if (cfg.width != old_side) throw InputError(args->model + ": codes non-square tiles; cannot retile");
    cfg.height = cfg.width = static_cast<int>(args->tile);
    const std::string text = to_text(cfg);
    for (NamedTensor& t : archive.tensors)
      if (t.name.size() > 5 && t.name.compare(t.name.size() - 5, 5, ".mask") == 0)
        t = retiled_mask(t, args->tile, old_side, args->model);  // shapes enter the model id: one per tile size
    cfg_text->second = text;
    if (std::filesystem::exists(args->out) && !args->force)
      throw InputError(args->out + ": exists (use -f to replace it)");
    save_archive(args->out, archive);
    std::fprintf(stderr, "%s: %lldx%lldx%lld tiles (a model id of its own)\n", args->out.c_str(),
                 static_cast<long long>(cfg.channels), static_cast<long long>(cfg.height),
                 static_cast<long long>(cfg.width));
  });
}

}  // namespace lbb
