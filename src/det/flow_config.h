// Architecture and training hyper-parameters of a flow model, read from a small
// `key = value` text file (see configs/fmnist_flowpp.cfg). Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lbb {

struct TensorArchive;  // io/tensor_archive.h

enum class DequantKind { kUniform, kVariational };
enum class CouplingKind { kAffine, kMixture };
enum class ActNormKind { kPerChannel, kPerActivation };

// One step of the main flow, after the base squeezes.
//  kChecker / kChannel: actnorm, invertible 1x1 conv (when C > 1), coupling with that mask;
//  kSqueeze: space-to-depth 2x2;
//  kSplit: factor out half the channels with a learned conditional Gaussian prior;
//          every later step works on the kept half (multi-scale architecture).
enum class FlowStep { kChecker, kChannel, kSqueeze, kSplit };

struct FlowConfig {
  // Image shape the model is trained for (C in {1, 3}).
  int64_t channels = 1, height = 28, width = 28;
  int base_squeezes = 1;  // squeezes applied to x before the dequantizer and the flow

  DequantKind dequant = DequantKind::kVariational;
  int dequant_couplings = 4;       // alternating checker / channel couplings of q(u|x)
  int dequant_filters = 32;
  int dequant_blocks = 1;          // conditioner blocks per dequantizer coupling
  int dequant_context_blocks = 2;  // gated conv blocks of the context network on x

  CouplingKind coupling = CouplingKind::kMixture;
  int components = 4;        // K of the logistic mixture (eq. 3.14)
  int filters = 64;          // conditioner width
  int blocks = 1;            // (gated conv [+ attention]) blocks per conditioner
  bool attention = true;     // multi-head self-attention in conditioners (Flow++ §3.2.2.2)
  // Attention only in conditioners working on at most this many positions (H·W); attention
  // costs O((H·W)²) and at 14x14 it tripled the step time on this CPU. 0 = everywhere.
  int attention_max_positions = 0;
  int heads = 4;
  double dropout = 0.0;
  ActNormKind actnorm = ActNormKind::kPerActivation;
  double logit_alpha = 0.05;  // x -> logit(alpha + (1 - 2 alpha) x / 256)
  std::vector<FlowStep> steps;

  // Training defaults (command-line flags override).
  double lr = 1e-3;
  int warmup_steps = 200;
  int batch = 64;
  double grad_clip = 100.0;
  double ema_decay = 0.999;
  uint64_t seed = 1;

  int64_t dims() const { return channels * height * width; }
};

// Parses the text of a config file. Throws std::runtime_error naming `origin`
// and the line on an unknown key or a bad value.
FlowConfig parse_flow_config(const std::string& text, const std::string& origin);
FlowConfig load_flow_config(const std::string& path);
// The configuration a model file's archive carries (meta["format"] == "lbb-model", its text in
// meta["config"]); throws InputError naming `origin` if it is not a model file or the text
// does not parse.
FlowConfig model_archive_config(const TensorArchive& archive, const std::string& origin);
// Canonical text: parse_flow_config(to_text(c)) == c. Stored inside model files.
std::string to_text(const FlowConfig& config);

}  // namespace lbb
