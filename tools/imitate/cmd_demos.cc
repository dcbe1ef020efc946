// imitate demos --expert expert.pt --trajectories K --seed S --out demos.pt
#include <cstdio>
#include <memory>
#include <sstream>

#include "commands.h"
#include "imitation/demonstrations.h"
#include "imitation/policy_file.h"

namespace lbb::imitation {

void add_demos_command(CLI::App& app) {
  struct Args {
    std::string expert, out;
    int64_t trajectories = 10, rate = 0;
    uint64_t seed = 0;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("demos", "Sample subsampled demonstrations from a (stochastic) expert");
  cmd->add_option("--expert", args->expert, "Expert policy file (imitate expert)")->required();
  cmd->add_option("--trajectories,-k", args->trajectories, "Trajectories")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--rate", args->rate, "Keep one pair every RATE steps (default: 10 for CartPole, 5 otherwise)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed, "Seed of the episodes, actions and offsets")->capture_default_str();
  cmd->add_option("--out,-o", args->out, "Demonstrations file to write")->required();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args] {
    LoadedPolicy lp = load_policy(args->expert);
    const int64_t rate = args->rate > 0 ? args->rate : default_subsample_rate(lp.env);
    Demonstrations d = sample_demonstrations(*lp.policy, lp.env, args->trajectories, rate, args->seed);
    std::ostringstream info;
    info << "imitate demos --expert " << args->expert << " --trajectories " << args->trajectories << " --rate " << rate
         << " --seed " << args->seed;
    d.info = info.str();
    save_demonstrations(args->out, d);
    const double mean_return = d.returns.mean().item<double>();
    if (args->json)
      std::printf("{\"env\": %s, \"trajectories\": %lld, \"rate\": %lld, \"pairs\": %lld, \"mean_return\": %.4f, "
                  "\"out\": %s}\n",
                  json_string(d.env).c_str(), static_cast<long long>(d.trajectories()), static_cast<long long>(rate),
                  static_cast<long long>(d.pairs()), mean_return, json_string(args->out).c_str());
    else
      std::printf("%s: %lld trajectories (mean return %.2f), %lld state-action pairs (one every %lld steps); wrote %s\n",
                  d.env.c_str(), static_cast<long long>(d.trajectories()), mean_return,
                  static_cast<long long>(d.pairs()), static_cast<long long>(rate), args->out.c_str());
  });
}

}  // namespace lbb::imitation
