#include "det/flow_config.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/errors.h"
#include "io/tensor_archive.h"

namespace lbb {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

[[noreturn]] void fail(const std::string& origin, int line, const std::string& what) {
  throw std::runtime_error(origin + ":" + std::to_string(line) + ": " + what);
}

const char* step_name(FlowStep s) {
  switch (s) {
    case FlowStep::kChecker: return "checker";
    case FlowStep::kChannel: return "channel";
    case FlowStep::kSqueeze: return "squeeze";
    case FlowStep::kSplit: return "split";
  }
  return "?";
}

}  // namespace

FlowConfig parse_flow_config(const std::string& text, const std::string& origin) {
  FlowConfig c;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    std::string s = trim(raw.substr(0, raw.find('#')));
    if (s.empty()) continue;
    size_t eq = s.find('=');
    if (eq == std::string::npos) fail(origin, line, "expected `key = value`, got `" + s + "`");
    std::string key = trim(s.substr(0, eq)), value = trim(s.substr(eq + 1));
    auto as_int = [&](int lo, int hi) {
      try {
        size_t used = 0;
        long v = std::stol(value, &used);
        if (used != value.size() || v < lo || v > hi) throw std::out_of_range("");
        return static_cast<int>(v);
      } catch (const std::exception&) {
        fail(origin, line, key + " must be an integer in [" + std::to_string(lo) + ", " +
                               std::to_string(hi) + "], got `" + value + "`");
      }
    };
    auto as_double = [&](double lo, double hi) {
      try {
        size_t used = 0;
        double v = std::stod(value, &used);
        if (used != value.size() || !(v >= lo && v <= hi)) throw std::out_of_range("");
        return v;
      } catch (const std::exception&) {
        fail(origin, line, key + " must be a number in [" + std::to_string(lo) + ", " +
                               std::to_string(hi) + "], got `" + value + "`");
      }
    };
    auto choose = [&](std::initializer_list<const char*> options) {
      int i = 0;
      for (const char* o : options) {
        if (value == o) return i;
        ++i;
      }
      std::string all;
      for (const char* o : options) all += std::string(all.empty() ? "" : " | ") + o;
      fail(origin, line, key + " must be one of " + all + ", got `" + value + "`");
    };
    if (key == "image") {
      long ch = 0, h = 0, w = 0;
      char x1 = 0, x2 = 0;
      std::istringstream v(value);
      if (!(v >> ch >> x1 >> h >> x2 >> w) || x1 != 'x' || x2 != 'x' || (ch != 1 && ch != 3) ||
          h < 2 || w < 2 || h > 4096 || w > 4096)
        fail(origin, line, "image must be CxHxW with C in {1,3}, got `" + value + "`");
      c.channels = ch, c.height = h, c.width = w;
    } else if (key == "base_squeezes") c.base_squeezes = as_int(0, 4);
    else if (key == "dequant") c.dequant = choose({"uniform", "variational"}) == 0 ? DequantKind::kUniform : DequantKind::kVariational;
    else if (key == "dequant_couplings") c.dequant_couplings = as_int(1, 64);
    else if (key == "dequant_filters") c.dequant_filters = as_int(1, 4096);
    else if (key == "dequant_blocks") c.dequant_blocks = as_int(0, 64);
    else if (key == "dequant_context_blocks") c.dequant_context_blocks = as_int(0, 64);
    else if (key == "coupling") c.coupling = choose({"affine", "mixture"}) == 0 ? CouplingKind::kAffine : CouplingKind::kMixture;
    else if (key == "components") c.components = as_int(1, 256);
    else if (key == "filters") c.filters = as_int(1, 4096);
    else if (key == "blocks") c.blocks = as_int(0, 64);
    else if (key == "attention") c.attention = choose({"0", "1"}) == 1;
    else if (key == "attention_max_positions") c.attention_max_positions = as_int(0, 1 << 24);
    else if (key == "heads") c.heads = as_int(1, 64);
    else if (key == "dropout") c.dropout = as_double(0.0, 0.9);
    else if (key == "actnorm") c.actnorm = choose({"channel", "activation"}) == 0 ? ActNormKind::kPerChannel : ActNormKind::kPerActivation;
    else if (key == "logit_alpha") c.logit_alpha = as_double(1e-6, 0.25);
    else if (key == "lr") c.lr = as_double(1e-7, 1.0);
    else if (key == "warmup_steps") c.warmup_steps = as_int(0, 1000000);
    else if (key == "batch") c.batch = as_int(1, 65536);
    else if (key == "grad_clip") c.grad_clip = as_double(0.0, 1e9);
    else if (key == "ema_decay") c.ema_decay = as_double(0.0, 0.999999);
    else if (key == "seed") c.seed = static_cast<uint64_t>(as_int(0, 2000000000));
    else if (key == "flow") {
      c.steps.clear();
      std::istringstream v(value);
      std::string w;
      while (v >> w) {
        if (w == "checker") c.steps.push_back(FlowStep::kChecker);
        else if (w == "channel") c.steps.push_back(FlowStep::kChannel);
        else if (w == "squeeze") c.steps.push_back(FlowStep::kSqueeze);
        else if (w == "split") c.steps.push_back(FlowStep::kSplit);
        else fail(origin, line, "unknown flow step `" + w + "` (checker | channel | squeeze | split)");
      }
    } else {
      fail(origin, line, "unknown key `" + key + "`");
    }
  }
  if (c.steps.empty()) fail(origin, line, "missing `flow = ...` (the list of flow steps)");
  // Shape checks: every squeeze needs even H and W; channel couplings and splits need C >= 2.
  int64_t ch = c.channels, h = c.height, w = c.width;
  auto squeeze = [&](const char* where) {
    if (h % 2 || w % 2)
      fail(origin, line, std::string(where) + ": cannot squeeze " + std::to_string(ch) + "x" +
                             std::to_string(h) + "x" + std::to_string(w) + " (odd size)");
    ch *= 4, h /= 2, w /= 2;
  };
  for (int i = 0; i < c.base_squeezes; ++i) squeeze("base_squeezes");
  if (c.dequant == DequantKind::kVariational && ch < 2 && c.dequant_couplings > 1)
    fail(origin, line, "variational dequantization needs >= 2 channels after base_squeezes");
  for (FlowStep s : c.steps) {
    if (s == FlowStep::kSqueeze) squeeze("flow");
    if ((s == FlowStep::kChannel || s == FlowStep::kSplit) && ch < 2)
      fail(origin, line, std::string(step_name(s)) + " needs >= 2 channels");
    if (s == FlowStep::kSplit) ch -= ch / 2;
  }
  return c;
}

FlowConfig load_flow_config(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open config file");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_flow_config(ss.str(), path);
}

std::string to_text(const FlowConfig& c) {
  std::ostringstream o;
  o.precision(17);
  o << "image = " << c.channels << "x" << c.height << "x" << c.width << "\n"
    << "base_squeezes = " << c.base_squeezes << "\n"
    << "dequant = " << (c.dequant == DequantKind::kUniform ? "uniform" : "variational") << "\n"
    << "dequant_couplings = " << c.dequant_couplings << "\n"
    << "dequant_filters = " << c.dequant_filters << "\n"
    << "dequant_blocks = " << c.dequant_blocks << "\n"
    << "dequant_context_blocks = " << c.dequant_context_blocks << "\n"
    << "coupling = " << (c.coupling == CouplingKind::kAffine ? "affine" : "mixture") << "\n"
    << "components = " << c.components << "\n"
    << "filters = " << c.filters << "\n"
    << "blocks = " << c.blocks << "\n"
    << "attention = " << (c.attention ? 1 : 0) << "\n"
    << "attention_max_positions = " << c.attention_max_positions << "\n"
    << "heads = " << c.heads << "\n"
    << "dropout = " << c.dropout << "\n"
    << "actnorm = " << (c.actnorm == ActNormKind::kPerChannel ? "channel" : "activation") << "\n"
    << "logit_alpha = " << c.logit_alpha << "\n"
    << "lr = " << c.lr << "\n"
    << "warmup_steps = " << c.warmup_steps << "\n"
    << "batch = " << c.batch << "\n"
    << "grad_clip = " << c.grad_clip << "\n"
    << "ema_decay = " << c.ema_decay << "\n"
    << "seed = " << c.seed << "\n"
    << "flow =";
  for (FlowStep s : c.steps) o << " " << step_name(s);
  o << "\n";
  return o.str();
}

FlowConfig model_archive_config(const TensorArchive& archive, const std::string& origin) {
  auto fmt = archive.meta.find("format");
  auto cfg = archive.meta.find("config");
  if (fmt == archive.meta.end() || fmt->second != "lbb-model" || cfg == archive.meta.end())
    throw InputError(origin + ": not an lbb model file");
  try {
    return parse_flow_config(cfg->second, origin + " (config)");
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
}

}  // namespace lbb
