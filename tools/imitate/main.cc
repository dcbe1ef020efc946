// imitate: imitation learning (thesis ch. 2): TRPO experts, demonstrations, BC, FEM, GTAL and
// GAIL, the experiment grid of Figure 2.1 and its table and plot.
#include <cmath>
#include <cstdio>
#include <exception>

#include "commands.h"
#include "imitation/torch_setup.h"
#include "common/openblas_kernels.h"

namespace lbb::imitation {

MeanStd mean_std(const std::vector<double>& xs) {
  MeanStd m;
  if (xs.empty()) return {NAN, NAN};
  for (double x : xs) m.mean += x;
  m.mean /= static_cast<double>(xs.size());
  for (double x : xs) m.std += (x - m.mean) * (x - m.mean);
  m.std = std::sqrt(m.std / static_cast<double>(xs.size()));
  return m;
}

std::string json_number(double x, int decimals) {
  if (!std::isfinite(x)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace lbb::imitation

int main(int argc, char** argv) {
  lbb::rerun_with_openblas_kernels(argv);  // LibTorch's BLAS on CPUs newer than OpenBLAS
  CLI::App app{"imitate - generative adversarial imitation learning and its baselines (thesis ch. 2)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "imitate 0.1");
  lbb::imitation::add_expert_command(app);
  lbb::imitation::add_demos_command(app);
  lbb::imitation::add_train_command(app);
  lbb::imitation::add_eval_command(app);
  lbb::imitation::add_grid_command(app);
  lbb::imitation::add_figure_command(app);
  lbb::imitation::add_rollout_command(app);
  lbb::imitation::add_replay_command(app);
  try {
    lbb::imitation::use_one_thread();  // DESIGN.md §10: one thread per run
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "imitate: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
