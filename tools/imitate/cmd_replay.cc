// imitate replay FILE: replays a trajectory file (imitate rollout) in this build's simulator:
// each episode from its first recorded qpos and qvel, applying the recorded actions in order and
// comparing every reward, termination and state with the file's. The check another
// implementation of the tasks would make. Sequential, because some rewards read what the
// previous step's last evaluation left (trajectory_file.h); --per-step restarts every step from
// its recorded state instead.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

#include "commands.h"
#include "imitation/mujoco_env.h"
#include "imitation/trajectory_file.h"
#include "common/errors.h"

namespace lbb::imitation {

void add_replay_command(CLI::App& app) {
  struct Args {
    std::string file;
    double tolerance = 1e-6;
    bool json = false, per_step = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("replay", "Replay a trajectory file step by step from its recorded states");
  cmd->add_option("file", args->file, "Trajectory file (imitate rollout)")->required();
  cmd->add_option("--tolerance", args->tolerance, "Largest accepted |reward difference| per step")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_flag("--per-step", args->per_step, "Set every step's recorded state before its action");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args] {
    std::ifstream in(args->file);
    if (!in) throw InputError(args->file + ": cannot open");
    const TrajectoryFile f = read_trajectories(in, args->file);
    std::unique_ptr<Env> env = make_env(f.env);
    auto* mj = dynamic_cast<MujocoEnv*>(env.get());
    if (!mj) throw InputError(args->file + ": " + f.env + " is not a MuJoCo task");
    double max_reward = 0, max_state = 0;
    int64_t steps = 0, flag_mismatches = 0;
    for (const Trajectory& tr : f.episodes) {
      for (size_t t = 0; t < tr.steps.size(); ++t) {
        const TrajectoryStep& s = tr.steps[t];
        if (t == 0 || args->per_step) {
          env->reset(0);  // a running episode; its state is replaced next
          mj->set_state(s.qpos, s.qvel);
        }
        Action a;
        a.values = s.action;
        const StepResult r = env->step(a);
        max_reward = std::max(max_reward, std::abs(r.reward - s.reward));
        const bool last = t + 1 == tr.steps.size();
        const std::vector<double>& next_q = last ? tr.final_qpos : tr.steps[t + 1].qpos;
        const std::vector<double> q = mj->qpos();
        for (size_t k = 0; k < q.size(); ++k) max_state = std::max(max_state, std::abs(q[k] - next_q[k]));
        flag_mismatches += r.terminated != s.terminated;
        ++steps;
      }
    }
    const bool ok = max_reward <= args->tolerance && flag_mismatches == 0;
    if (args->json)
      std::printf("{\"file\": %s, \"env\": %s, \"episodes\": %zu, \"steps\": %lld, \"max_reward_difference\": %.6g, "
                  "\"max_qpos_difference\": %.6g, \"termination_mismatches\": %lld, \"ok\": %s}\n",
                  json_string(args->file).c_str(), json_string(f.env).c_str(), f.episodes.size(),
                  static_cast<long long>(steps), max_reward, max_state, static_cast<long long>(flag_mismatches),
                  ok ? "true" : "false");
    else
      std::printf("%s: %zu episodes, %lld steps of %s replayed; largest reward difference %.3g, qpos %.3g, "
                  "%lld termination mismatches\n",
                  args->file.c_str(), f.episodes.size(), static_cast<long long>(steps), f.env.c_str(), max_reward,
                  max_state, static_cast<long long>(flag_mismatches));
    if (!ok) throw InputError(args->file + ": the replay disagrees with the file beyond --tolerance");
  });
}

}  // namespace lbb::imitation
