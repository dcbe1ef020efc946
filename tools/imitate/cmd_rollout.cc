// imitate rollout --policy P --episodes N --out FILE: a policy's episodes on a MuJoCo task with
// the simulator's state at every step (imitation/trajectory_file.h), for replaying elsewhere.
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "imitation/mujoco_env.h"
#include "imitation/policy_file.h"
#include "imitation/trajectory_file.h"
#include "common/errors.h"
#include "io/file_bytes.h"

namespace lbb::imitation {

void add_rollout_command(CLI::App& app) {
  struct Args {
    std::string policy, env, out;
    int64_t episodes = 1;
    uint64_t seed = 0;
    bool stochastic = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("rollout", "Record a policy's episodes with the simulator's full state (MuJoCo tasks)");
  cmd->add_option("--policy,policy", args->policy, "Policy file (imitate expert / train)")->required();
  cmd->add_option("--env", args->env, "The task (default: the policy's; must match it)");
  cmd->add_option("--episodes,-k", args->episodes, "Episodes")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--out,-o", args->out, "Trajectory file to write (JSON Lines; - for standard output)")->required();
  cmd->add_option("--seed", args->seed, "Seed: episode e starts from reset seed mix(seed) + e")->capture_default_str();
  cmd->add_flag("--stochastic", args->stochastic, "Sample actions (default: the policy's mean action)");
  cmd->callback([args] {
    LoadedPolicy lp = load_policy(args->policy);
    if (!args->env.empty() && args->env != lp.env)
      throw InputError(args->policy + ": a policy for " + lp.env + ", not " + args->env);
    TrajectoryFile file;
    file.env = lp.env;
    file.policy = args->policy;
    file.seed = args->seed;
    file.deterministic = !args->stochastic;
    std::unique_ptr<Env> env = make_env(lp.env);
    auto* mj = dynamic_cast<MujocoEnv*>(env.get());
    if (!mj) throw InputError("imitate rollout records MuJoCo tasks; " + lp.env + " is not one");
    Rng rng(mix_seed(args->seed) ^ 0x7011ull);
    const int64_t d = env->spec().obs_dim;
    for (int64_t e = 0; e < args->episodes; ++e) {
      Trajectory tr;
      std::vector<double> obs = env->reset(mix_seed(args->seed) + static_cast<uint64_t>(e));
      for (;;) {
        TrajectoryStep s;
        s.qpos = mj->qpos();
        s.qvel = mj->qvel();
        s.obs = obs;
        torch::Tensor o = torch::tensor(obs, torch::kFloat64).view({1, d});
        const Action a = lp.policy->to_env_actions(lp.policy->act(o, rng, !args->stochastic))[0];
        const StepResult r = env->step(a);
        s.action = a.values;
        s.reward = r.reward;
        s.terminated = r.terminated;
        s.truncated = r.truncated;
        tr.steps.push_back(std::move(s));
        obs = r.obs;
        if (r.done()) break;
      }
      tr.final_qpos = mj->qpos();
      tr.final_qvel = mj->qvel();
      tr.final_obs = obs;
      std::fprintf(stderr, "episode %lld: return %.3f, %zu steps\n", static_cast<long long>(e), tr.episode_return(),
                   tr.steps.size());
      file.episodes.push_back(std::move(tr));
    }
    std::ostringstream text;
    write_trajectories(text, file);
    if (args->out == "-") {
      std::cout << text.str() << std::flush;
    } else {
      const std::string s = text.str();
      write_file_atomic(args->out, reinterpret_cast<const uint8_t*>(s.data()), s.size());
    }
  });
}

}  // namespace lbb::imitation
