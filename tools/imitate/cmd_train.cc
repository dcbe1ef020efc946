// imitate train --algo bc|gail --demos demos.pt [--trajectories K] --seed S --out policy.pt
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>

#include "commands.h"
#include "imitation/behavioral_cloning.h"
#include "imitation/gail.h"
#include "imitation/policy_file.h"
#include "imitation/rollout.h"
#include "io/errors.h"

namespace lbb::imitation {

void add_train_command(CLI::App& app) {
  struct Args {
    std::string algo, demos, out, reward;
    int64_t trajectories = 0, iterations = 100, envs = 25, steps = 5000, eval_episodes = 50;
    uint64_t seed = 0;
    double entropy = 0, disc_lr = 0.01;
    bool json = false, quiet = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("train", "Learn a policy from demonstrations (BC or GAIL)");
  cmd->add_option("--algo", args->algo, "bc | gail")->required()->check(CLI::IsMember({"bc", "gail"}));
  cmd->add_option("--demos", args->demos, "Demonstrations file (imitate demos)")->required();
  cmd->add_option("--trajectories,-k", args->trajectories, "Use the first K trajectories (default: all)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed, "Seed of the whole run")->capture_default_str();
  cmd->add_option("--out,-o", args->out, "Policy file to write")->required();
  cmd->add_option("--iterations,-n", args->iterations, "GAIL iterations")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--envs", args->envs, "GAIL: environments stepped in lockstep")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--steps", args->steps, "GAIL: environment steps per iteration")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--entropy", args->entropy, "GAIL: causal entropy weight lambda")->capture_default_str();
  cmd->add_option("--disc-lr", args->disc_lr, "GAIL: the discriminator's Adam learning rate")->capture_default_str();
  cmd->add_option("--reward", args->reward, "GAIL: survival (-log(1-D)) | goal (log D); default by task")
      ->check(CLI::IsMember({"survival", "goal"}));
  cmd->add_option("--eval-episodes", args->eval_episodes, "Deterministic evaluation episodes")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", args->json, "Print one JSON object at the end");
  cmd->add_flag("--quiet,-q", args->quiet, "No progress lines");
  cmd->callback([args] {
    Demonstrations demos = load_demonstrations(args->demos);
    if (args->trajectories > demos.trajectories())
      throw InputError(args->demos + ": holds " + std::to_string(demos.trajectories()) + " trajectories, not " +
                       std::to_string(args->trajectories));
    if (args->trajectories > 0) demos = demos.first(args->trajectories);
    const auto start = std::chrono::steady_clock::now();
    std::shared_ptr<Policy> policy;
    std::ostringstream info;
    info << "imitate train --algo " << args->algo << " --demos " << args->demos << " --trajectories "
         << demos.trajectories() << " --seed " << args->seed;
    int64_t env_steps = 0;
    if (args->algo == "bc") {
      BcOptions opt;
      opt.seed = args->seed;
      const BcResult r = behavioral_cloning(demos, opt);
      policy = r.policy;
      if (!args->quiet)
        std::fprintf(stderr, "bc: %lld train / %lld validation pairs, best validation loss %.4f at step %lld of %lld\n",
                     static_cast<long long>(r.train_pairs), static_cast<long long>(r.validation_pairs),
                     r.best_validation_loss, static_cast<long long>(r.best_step), static_cast<long long>(r.steps));
    } else {
      if (args->steps % args->envs != 0) throw InputError("--steps must be a multiple of --envs");
      GailOptions opt;
      opt.rl.env = demos.env;
      opt.rl.seed = args->seed;
      opt.rl.num_envs = args->envs;
      opt.rl.steps_per_env = args->steps / args->envs;
      opt.rl.trpo.entropy_coef = args->entropy;
      opt.discriminator_lr = args->disc_lr;
      opt.reward = args->reward.empty() ? default_gail_reward(demos.env)
                                        : (args->reward == "survival" ? GailReward::kSurvival : GailReward::kGoal);
      info << " --iterations " << args->iterations << " --reward "
           << (opt.reward == GailReward::kSurvival ? "survival" : "goal");
      GailTrainer gail(demos, opt);
      for (int64_t i = 0; i < args->iterations; ++i) {
        const GailIterationStats st = gail.iterate();
        env_steps = st.rl.env_steps;
        if (!args->quiet)
          std::fprintf(stderr,
                       "iter %4lld  steps %8lld  true return %8.2f (%3lld ep)  disc loss %.4f  reward %.4f  kl %.5f%s  "
                       "entropy %.4f  %.2f s\n",
                       static_cast<long long>(st.rl.iteration), static_cast<long long>(st.rl.env_steps),
                       st.rl.mean_return, static_cast<long long>(st.rl.episodes), st.discriminator_loss,
                       st.mean_reward, st.rl.step.kl, st.rl.step.accepted ? "" : " (rejected)", st.rl.step.entropy,
                       st.rl.seconds);
      }
      policy = gail.policy_ptr();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> ev;
    if (args->eval_episodes > 0)
      ev = evaluate_policy(*policy, demos.env, args->eval_episodes, mix_seed(args->seed) ^ 0xe2, true);
    const MeanStd m = mean_std(ev);
    info << "; deterministic return " << m.mean;
    save_policy(args->out, *policy, demos.env, info.str());
    if (args->json)
      std::printf("{\"algo\": %s, \"env\": %s, \"trajectories\": %lld, \"pairs\": %lld, \"seed\": %llu, "
                  "\"env_steps\": %lld, \"eval_episodes\": %lld, \"eval_return\": %s, \"eval_return_std\": %s, "
                  "\"train_seconds\": %.3f, \"out\": %s}\n",
                  json_string(args->algo).c_str(), json_string(demos.env).c_str(),
                  static_cast<long long>(demos.trajectories()), static_cast<long long>(demos.pairs()),
                  static_cast<unsigned long long>(args->seed), static_cast<long long>(env_steps),
                  static_cast<long long>(args->eval_episodes), json_number(m.mean).c_str(),
                  json_number(m.std).c_str(), seconds, json_string(args->out).c_str());
    else
      std::printf("%s on %s (%lld trajectories, %lld pairs): %.1f s; deterministic return over %lld episodes %.2f +- "
                  "%.2f; wrote %s\n",
                  args->algo.c_str(), demos.env.c_str(), static_cast<long long>(demos.trajectories()),
                  static_cast<long long>(demos.pairs()), seconds, static_cast<long long>(args->eval_episodes), m.mean,
                  m.std, args->out.c_str());
  });
}

}  // namespace lbb::imitation
