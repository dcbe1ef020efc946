// imitate train --algo bc|fem|gtal|gail --demos demos.pt [--trajectories K] --seed S --out policy.pt
// With --batch-steps (whole episodes per iteration, the MuJoCo tasks' batches) FEM, GTAL and
// GAIL keep OUT.ckpt after every iteration and --resume continues a run bit for bit.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>

#include "checkpoint_file.h"
#include "commands.h"
#include "imitation/apprenticeship.h"
#include "imitation/behavioral_cloning.h"
#include "imitation/gail.h"
#include "imitation/mujoco_env.h"
#include "imitation/policy_file.h"
#include "imitation/rollout.h"
#include "common/errors.h"

namespace lbb::imitation {

void add_train_command(CLI::App& app) {
  struct Args {
    std::string algo, demos, out, reward;
    int64_t trajectories = 0, iterations = 100, envs = 25, steps = 5000, eval_episodes = 50, batch_steps = 0;
    int64_t bc_steps = 0;
    uint64_t seed = 0;
    double entropy = 0, disc_lr = 0.01, mw_rate = 0, disc_entropy = NAN;
    bool json = false, quiet = false, projection = false, resume = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("train", "Learn a policy from demonstrations (BC, FEM, GTAL or GAIL)");
  cmd->add_option("--algo", args->algo, "bc | fem | gtal | gail")->required()
      ->check(CLI::IsMember({"bc", "fem", "gtal", "gail"}));
  cmd->add_option("--demos", args->demos, "Demonstrations file (imitate demos)")->required();
  cmd->add_option("--trajectories,-k", args->trajectories, "Use the first K trajectories (default: all)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed, "Seed of the whole run")->capture_default_str();
  cmd->add_option("--out,-o", args->out, "Policy file to write")->required();
  cmd->add_option("--iterations,-n", args->iterations, "FEM / GTAL / GAIL iterations (TRPO steps)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--envs", args->envs, "FEM / GTAL / GAIL: environments stepped in lockstep")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--steps", args->steps, "FEM / GTAL / GAIL: environment steps per iteration")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch-steps", args->batch_steps,
                  "FEM / GTAL / GAIL: whole episodes of at least this many steps per iteration (the MuJoCo "
                  "tasks: 50000); enables OUT.ckpt and --resume")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--resume", args->resume,
                "Continue from OUT.ckpt (written by an interrupted run with the same options; BC starts over)");
  cmd->add_option("--bc-steps", args->bc_steps,
                  "BC: Adam steps (default: 20001 on the MuJoCo tasks, as the author's; early stopping on the "
                  "classic ones)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--disc-entropy", args->disc_entropy,
                  "GAIL: weight of the discriminator's entropy bonus (default: 0.001 with --batch-steps, else 0)");
  cmd->add_option("--entropy", args->entropy, "FEM / GTAL / GAIL: causal entropy weight lambda")->capture_default_str();
  cmd->add_option("--disc-lr", args->disc_lr, "GAIL: the discriminator's Adam learning rate")->capture_default_str();
  cmd->add_option("--reward", args->reward, "FEM / GTAL / GAIL: survival (rewards >= 0) | goal (<= 0); default by task")
      ->check(CLI::IsMember({"survival", "goal"}));
  cmd->add_option("--mw-rate", args->mw_rate, "GTAL: multiplicative-weights rate eta (default: MWAL's schedule)");
  cmd->add_flag("--projection", args->projection, "FEM: Abbeel & Ng's projection method for the cost weights");
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
    if (args->resume && args->batch_steps == 0 && args->algo != "bc")
      throw InputError("--resume needs --batch-steps");  // (a BC run is short and starts over)
    if (args->algo == "bc") {
      BcOptions opt;
      opt.seed = args->seed;
      if (args->bc_steps > 0 || is_mujoco_task(demos.env)) {
        // The author's MuJoCo BC: a fixed number of steps, the best validation snapshot kept.
        opt.max_steps = args->bc_steps > 0 ? args->bc_steps : 20001;
        opt.patience = 0;
        info << " --bc-steps " << opt.max_steps;
      }
      const BcResult r = behavioral_cloning(demos, opt);
      policy = r.policy;
      if (!args->quiet)
        std::fprintf(stderr, "bc: %lld train / %lld validation pairs, best validation loss %.4f at step %lld of %lld\n",
                     static_cast<long long>(r.train_pairs), static_cast<long long>(r.validation_pairs),
                     r.best_validation_loss, static_cast<long long>(r.best_step), static_cast<long long>(r.steps));
    } else {
      if (args->batch_steps == 0 && args->steps % args->envs != 0)
        throw InputError("--steps must be a multiple of --envs");
      TrpoTrainerOptions rl;
      rl.env = demos.env;
      rl.seed = args->seed;
      rl.num_envs = args->envs;
      rl.steps_per_env = args->steps / args->envs;
      set_episode_batches(rl, args->batch_steps);
      rl.trpo.entropy_coef = args->entropy;
      if (args->batch_steps > 0) info << " --batch-steps " << args->batch_steps << " --envs " << args->envs;
      if (args->entropy != 0) info << " --entropy " << args->entropy;
      // Checkpoints: the options that must match, then the trainer's state, after every iteration.
      std::ostringstream run_key;
      run_key << info.str();  // --iterations may grow between a run and its resumption
      const std::string checkpoint = args->out + ".ckpt";
      const auto resume = [&](const std::function<void(torch::serialize::InputArchive&)>& load) {
        if (args->resume && resume_checkpoint(checkpoint, run_key.str(), load) && !args->quiet)
          std::fprintf(stderr, "resuming %s\n", checkpoint.c_str());
      };
      const auto keep = [&](const std::function<void(torch::serialize::OutputArchive&)>& save) {
        if (args->batch_steps > 0) write_checkpoint(checkpoint, run_key.str(), save);
      };
      const GailReward reward = args->reward.empty() ? default_gail_reward(demos.env)
                                                     : (args->reward == "survival" ? GailReward::kSurvival : GailReward::kGoal);
      info << " --iterations " << args->iterations << " --reward " << (reward == GailReward::kSurvival ? "survival" : "goal");
      run_key << " --reward " << (reward == GailReward::kSurvival ? "survival" : "goal");
      const auto progress = [&](const IterationStats& s, const char* name1, double v1, const char* name2, double v2) {
        env_steps = s.env_steps;
        if (!args->quiet)
          std::fprintf(stderr,
                       "iter %4lld  steps %8lld  true return %8.2f (%3lld ep)  %s %.4f  %s %.4f  kl %.5f%s  "
                       "entropy %.4f  %.2f s\n",
                       static_cast<long long>(s.iteration), static_cast<long long>(s.env_steps), s.mean_return,
                       static_cast<long long>(s.episodes), name1, v1, name2, v2, s.step.kl,
                       s.step.accepted ? "" : " (rejected)", s.step.entropy, s.seconds);
      };
      if (args->algo == "gail") {
        GailOptions opt;
        opt.rl = rl;
        opt.discriminator_lr = args->disc_lr;
        opt.discriminator_entropy = std::isnan(args->disc_entropy) ? (args->batch_steps > 0 ? 0.001 : 0.0)
                                                                   : args->disc_entropy;
        opt.reward = reward;
        run_key << " --disc-lr " << opt.discriminator_lr << " --disc-entropy " << opt.discriminator_entropy;
        GailTrainer gail(demos, opt);
        resume([&](torch::serialize::InputArchive& ar) { gail.load_state(ar); });
        for (int64_t i = gail.iteration(); i < args->iterations; ++i) {
          const GailIterationStats st = gail.iterate();
          progress(st.rl, "disc loss", st.discriminator_loss, "reward", st.mean_reward);
          keep([&](torch::serialize::OutputArchive& ar) { gail.save_state(ar); });
        }
        policy = gail.policy_ptr();
      } else {
        ApprenticeshipOptions opt;
        opt.rl = rl;
        opt.cost = args->algo == "fem" ? CostClass::kLinear : CostClass::kConvex;
        opt.reward = reward;
        opt.iterations = args->iterations;
        opt.mw_rate = args->mw_rate;
        opt.projection = args->projection;
        if (args->projection) info << " --projection";
        run_key << (args->projection ? " --projection" : "") << " --mw-rate " << args->mw_rate;
        // GTAL's default rate depends on the number of iterations: a run continues only to its own.
        if (args->algo == "gtal" && args->mw_rate == 0) run_key << " --iterations " << args->iterations;
        ApprenticeshipTrainer al(demos, opt);
        resume([&](torch::serialize::InputArchive& ar) { al.load_state(ar); });
        for (int64_t i = al.iteration(); i < args->iterations; ++i) {
          const ApprenticeshipIterationStats st = al.iterate();
          progress(st.rl, args->algo == "fem" ? "||mu-muE||" : "max(mu-muE)", st.objective, "reward", st.mean_reward);
          keep([&](torch::serialize::OutputArchive& ar) { al.save_state(ar); });
        }
        policy = al.policy_ptr();
      }
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
                  "\"train_seconds\": %.3f, \"policy_hash\": \"%016llx\", \"out\": %s}\n",
                  json_string(args->algo).c_str(), json_string(demos.env).c_str(),
                  static_cast<long long>(demos.trajectories()), static_cast<long long>(demos.pairs()),
                  static_cast<unsigned long long>(args->seed), static_cast<long long>(env_steps),
                  static_cast<long long>(args->eval_episodes), json_number(m.mean).c_str(),
                  json_number(m.std).c_str(), seconds, static_cast<unsigned long long>(policy_hash(*policy)),
                  json_string(args->out).c_str());
    else
      std::printf("%s on %s (%lld trajectories, %lld pairs): %.1f s; deterministic return over %lld episodes %.2f +- "
                  "%.2f; wrote %s\n",
                  args->algo.c_str(), demos.env.c_str(), static_cast<long long>(demos.trajectories()),
                  static_cast<long long>(demos.pairs()), seconds, static_cast<long long>(args->eval_episodes), m.mean,
                  m.std, args->out.c_str());
  });
}

}  // namespace lbb::imitation
