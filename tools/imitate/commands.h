// Sub-commands of the imitate CLI; each file cmd_<name>.cc adds one to the app.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace lbb::imitation {

void add_expert_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_demos_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_grid_command(CLI::App& app);
void add_figure_command(CLI::App& app);
void add_rollout_command(CLI::App& app);
void add_replay_command(CLI::App& app);

// Mean and (population) standard deviation of xs; NaN for none.
struct MeanStd {
  double mean = 0, std = 0;
};
MeanStd mean_std(const std::vector<double>& xs);

// A JSON number with `decimals` decimals, or null for NaN / infinity.
std::string json_number(double x, int decimals = 4);

// A JSON string literal of s (quotes and backslashes escaped).
std::string json_string(const std::string& s);

}  // namespace lbb::imitation
