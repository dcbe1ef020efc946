// Helpers of `imitate grid` and `imitate figure`: flat JSON objects (one line each, the
// results file's format), the task defaults of the experiment, and child processes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lbb::imitation {

// A flat JSON object {"key": value, ...} with string, number, true/false or null values;
// values are kept as their text (strings unescaped). Returns false for anything else (e.g.
// a line cut short by a killed run).
bool parse_flat_json(const std::string& line, std::map<std::string, std::string>& out);

// Comma-separated list -> items ("a,b" -> {"a", "b"}); empty items dropped.
std::vector<std::string> split_list(const std::string& s);

// The experiment's per-task settings (docs/imitation.md, "The experiment").
struct TaskDefaults {
  int64_t expert_iterations;  // TRPO iterations of the expert
  uint64_t expert_seed;
  double expert_target;       // stop the expert early at this batch return (NaN: never)
  int64_t iterations;         // FEM / GTAL / GAIL iterations (the same for the three)
  // The MuJoCo tasks (DESIGN.md §10.1): whole-episode batches of batch_steps with envs
  // lockstep environments (0: the classic tasks' --envs x --steps segments).
  int64_t batch_steps = 0, envs = 0;
  int64_t demo_trajectories = 10;     // sampled from the expert; a dataset is the first K
  std::vector<int64_t> sizes{1, 4, 7, 10};  // the dataset sizes of Figure 2.1
  int64_t rl_seeds = 0;               // seeds of FEM / GTAL / GAIL cells (0: --seeds)
  bool apprenticeship_at_ends = false;  // FEM / GTAL at the smallest and largest size only
};
TaskDefaults task_defaults(const std::string& task);

// Mean return of a uniformly random policy over `episodes` episodes (environment i seeded
// seed + i, actions from Rng(seed)).
double random_policy_return(const std::string& env, int64_t episodes, uint64_t seed);

// Runs `command` through /bin/sh; returns its stdout and exit status (0 = success).
struct ChildResult {
  int status = 0;
  std::string out;
};
ChildResult run_child(const std::string& command);

// 'x' quoted for the shell.
std::string shell_quote(const std::string& s);

// The running imitate executable (/proc/self/exe).
std::string self_executable();

// "1:02:03" from seconds.
std::string format_duration(double seconds);

}  // namespace lbb::imitation
