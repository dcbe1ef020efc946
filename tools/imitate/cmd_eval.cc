// imitate eval --policy P [--episodes K] [--seed S] [--stochastic] [--json]
#include <algorithm>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "imitation/policy_file.h"
#include "imitation/rollout.h"

namespace lbb::imitation {

void add_eval_command(CLI::App& app) {
  struct Args {
    std::string policy, env;
    int64_t episodes = 50;
    uint64_t seed = 0;
    bool stochastic = false, json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("eval", "Returns of a policy file over full episodes");
  cmd->add_option("--policy,policy", args->policy, "Policy file (imitate expert / train)")->required();
  cmd->add_option("--episodes,-k", args->episodes, "Episodes")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed, "Seed of the environments (and of the actions with --stochastic)")
      ->capture_default_str();
  cmd->add_flag("--stochastic", args->stochastic,
                "Sample actions from the policy (default: its most likely action, as the thesis evaluates)");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args] {
    LoadedPolicy lp = load_policy(args->policy);
    const std::vector<double> r = evaluate_policy(*lp.policy, lp.env, args->episodes, args->seed, !args->stochastic);
    const MeanStd m = mean_std(r);
    const double lo = *std::min_element(r.begin(), r.end()), hi = *std::max_element(r.begin(), r.end());
    if (args->json)
      std::printf("{\"policy\": %s, \"env\": %s, \"episodes\": %lld, \"stochastic\": %s, \"mean_return\": %.4f, "
                  "\"std_return\": %.4f, \"min_return\": %.4f, \"max_return\": %.4f}\n",
                  json_string(args->policy).c_str(), json_string(lp.env).c_str(),
                  static_cast<long long>(args->episodes), args->stochastic ? "true" : "false", m.mean, m.std, lo, hi);
    else
      std::printf("%s on %s, %lld episodes (%s): return %.2f +- %.2f (min %.1f, max %.1f)\n", args->policy.c_str(),
                  lp.env.c_str(), static_cast<long long>(args->episodes), args->stochastic ? "stochastic" : "deterministic",
                  m.mean, m.std, lo, hi);
  });
}

}  // namespace lbb::imitation
