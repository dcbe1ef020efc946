// imitate expert --env E --iterations N --seed S --out expert.pt: TRPO on the true reward.
// With --batch-steps (whole episodes per iteration, the MuJoCo tasks' batches) the run keeps
// OUT.ckpt after every iteration and --resume continues it bit for bit; OUT.curve.tsv holds
// every iteration's batch return.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "checkpoint_file.h"
#include "commands.h"
#include "imitation/policy_file.h"
#include "imitation/trpo_trainer.h"
#include "common/errors.h"

namespace lbb::imitation {

void add_expert_command(CLI::App& app) {
  struct Args {
    std::string env = "cartpole", out;
    int64_t iterations = 100, envs = 25, steps = 5000, eval_episodes = 50, batch_steps = 0;
    uint64_t seed = 0;
    double max_kl = 0.01, target = NAN;
    bool json = false, quiet = false, resume = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("expert", "Train an expert policy by TRPO on the environment's reward");
  cmd->add_option("--env", args->env, "Environment: " + env_names())->capture_default_str();
  cmd->add_option("--iterations,-n", args->iterations, "TRPO iterations")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed, "Seed of the whole run")->capture_default_str();
  cmd->add_option("--out,-o", args->out, "Policy file to write")->required();
  cmd->add_option("--envs", args->envs, "Environments stepped in lockstep")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--steps", args->steps, "Environment steps per iteration (a multiple of --envs)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch-steps", args->batch_steps,
                  "Whole episodes of at least this many steps per iteration (the MuJoCo tasks: 50000); "
                  "enables OUT.ckpt and --resume")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--resume", args->resume, "Continue from OUT.ckpt (written by an interrupted run with the same options)");
  cmd->add_option("--max-kl", args->max_kl, "TRPO's KL bound")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--target", args->target, "Stop early once an iteration's mean episode return reaches this");
  cmd->add_option("--eval-episodes", args->eval_episodes, "Episodes of the final evaluation")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", args->json, "Print one JSON object at the end (progress lines still go to stderr)");
  cmd->add_flag("--quiet,-q", args->quiet, "No progress lines");
  cmd->callback([args] {
    if (args->batch_steps == 0 && args->steps % args->envs != 0)
      throw InputError("--steps must be a multiple of --envs");
    if (args->resume && args->batch_steps == 0) throw InputError("--resume needs --batch-steps");
    TrpoTrainerOptions opt;
    opt.env = args->env;
    make_env(opt.env);  // an unknown name is an error before anything runs
    opt.seed = args->seed;
    opt.num_envs = args->envs;
    opt.steps_per_env = args->steps / args->envs;
    set_episode_batches(opt, args->batch_steps);
    opt.trpo.max_kl = args->max_kl;
    const auto start = std::chrono::steady_clock::now();
    TrpoTrainer trainer(opt);
    IterationStats last;
    int64_t reached = -1;  // first iteration whose mean return reached --target
    std::vector<double> returns;
    // The options that must match for a checkpoint to continue this run.
    std::ostringstream run_key;
    run_key << opt.env << " seed " << opt.seed << " envs " << opt.num_envs << " batch-steps " << opt.episode_batch_steps
            << " max-kl " << opt.trpo.max_kl;
    const std::string checkpoint = args->out + ".ckpt";
    if (args->resume && resume_checkpoint(checkpoint, run_key.str(), [&](torch::serialize::InputArchive& ar) {
          trainer.load_state(ar);
          torch::Tensor curve;
          ar.read("curve", curve, true);
          returns.assign(curve.data_ptr<double>(), curve.data_ptr<double>() + curve.numel());
        }) && !args->quiet)
      std::fprintf(stderr, "resuming %s at iteration %lld\n", checkpoint.c_str(),
                   static_cast<long long>(trainer.iteration()));
    for (int64_t i = trainer.iteration(); i < args->iterations; ++i) {
      last = trainer.iterate();
      returns.push_back(last.mean_return);
      if (args->batch_steps > 0)
        write_checkpoint(checkpoint, run_key.str(), [&](torch::serialize::OutputArchive& ar) {
          trainer.save_state(ar);
          ar.write("curve", torch::tensor(returns, torch::kFloat64), true);
        });
      if (!args->quiet)
        std::fprintf(stderr,
                     "iter %4lld  steps %8lld  return %8.2f (%3lld ep, len %6.1f)  kl %.5f%s  entropy %.4f  "
                     "vf_mse %9.3f  %.2f s (sample %.2f, policy %.2f, value %.2f)\n",
                     static_cast<long long>(last.iteration), static_cast<long long>(last.env_steps), last.mean_return,
                     static_cast<long long>(last.episodes), last.mean_length, last.step.kl,
                     last.step.accepted ? "" : " (rejected)", last.step.entropy, last.value_mse, last.seconds,
                     last.sample_seconds, last.policy_seconds, last.value_seconds);
      if (!std::isnan(args->target) && last.mean_return >= args->target) {
        reached = last.iteration;
        break;
      }
    }
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> eval_stoch, eval_det;
    if (args->eval_episodes > 0) {
      eval_stoch = evaluate_policy(trainer.policy(), opt.env, args->eval_episodes, mix_seed(args->seed) ^ 0xe1, false);
      eval_det = evaluate_policy(trainer.policy(), opt.env, args->eval_episodes, mix_seed(args->seed) ^ 0xe2, true);
    }
    const MeanStd s = mean_std(eval_stoch), d = mean_std(eval_det);
    std::ostringstream info;
    if (last.iteration == 0) {  // resumed after its last iteration: report the checkpoint's
      last.iteration = trainer.iteration();
      last.env_steps = trainer.env_steps();
      if (!returns.empty()) last.mean_return = returns.back();
    }
    info << "imitate expert --env " << opt.env << " --seed " << args->seed << " --iterations " << last.iteration
         << " --envs " << args->envs
         << (args->batch_steps > 0 ? " --batch-steps " + std::to_string(args->batch_steps)
                                   : " --steps " + std::to_string(args->steps))
         << "; stochastic return " << s.mean << ", deterministic " << d.mean;
    save_policy(args->out, trainer.policy(), opt.env, info.str());
    if (args->batch_steps > 0) {
      std::ofstream curve(args->out + ".curve.tsv");
      curve << "# " << info.str() << "\n# iteration\tmean batch return\n";
      for (size_t k = 0; k < returns.size(); ++k) curve << k + 1 << '\t' << returns[k] << '\n';
    }
    if (args->json) {
      std::printf("{\"env\": %s, \"seed\": %llu, \"iterations\": %lld, \"env_steps\": %lld, \"last_batch_return\": %s, "
                  "\"target_reached_at\": %lld, \"eval_episodes\": %lld, \"eval_return_stochastic\": %s, "
                  "\"eval_return_stochastic_std\": %s, \"eval_return_deterministic\": %s, "
                  "\"eval_return_deterministic_std\": %s, \"train_seconds\": %.3f, \"policy_hash\": \"%016llx\", "
                  "\"out\": %s}\n",
                  json_string(opt.env).c_str(), static_cast<unsigned long long>(args->seed),
                  static_cast<long long>(last.iteration), static_cast<long long>(last.env_steps), json_number(last.mean_return).c_str(),
                  static_cast<long long>(reached), static_cast<long long>(args->eval_episodes),
                  json_number(s.mean).c_str(), json_number(s.std).c_str(), json_number(d.mean).c_str(),
                  json_number(d.std).c_str(), train_seconds,
                  static_cast<unsigned long long>(policy_hash(trainer.policy())), json_string(args->out).c_str());
    } else {
      std::printf("%s: %lld iterations, %lld environment steps, %.1f s; last batch return %.2f\n", opt.env.c_str(),
                  static_cast<long long>(last.iteration), static_cast<long long>(last.env_steps), train_seconds,
                  last.mean_return);
      if (args->eval_episodes > 0)
        std::printf("evaluation over %lld episodes: stochastic %.2f +- %.2f, deterministic %.2f +- %.2f\n",
                    static_cast<long long>(args->eval_episodes), s.mean, s.std, d.mean, d.std);
      std::printf("wrote %s\n", args->out.c_str());
    }
  });
}

}  // namespace lbb::imitation
