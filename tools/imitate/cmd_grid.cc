// imitate grid --dir DIR: the experiment of thesis section 2.6 / Figure 2.1, one command.
//   1. per task: an expert by TRPO (DIR/experts/<task>.pt, its JSON beside it), 10
//      demonstration trajectories from it (DIR/demos/<task>.pt), and the reference returns
//      of the normalized score (DIR/reference.jsonl: the expert's over 50 stochastic
//      episodes, as it is sampled for the data, and a uniformly random policy's over 50);
//   2. every run tasks x trajectories x algorithms x seeds: `imitate train` in a child
//      process (one LibTorch thread each, so a run is bit-for-bit the same whether it runs
//      alone or beside another), its policy evaluated on 50 deterministic episodes; one
//      JSON line per finished run appended to DIR/results.jsonl. A run already there is
//      skipped: the grid resumes where it stopped (a line cut short by a kill is ignored).
// The MuJoCo tasks (DESIGN.md §10.1) use their own settings (grid_util.h, TaskDefaults):
// whole-episode batches, checkpointed runs that a rerun resumes (`train --resume`), 50 expert
// trajectories, dataset sizes 4/11/18/25, FEM and GTAL at the ends; --experts takes shipped
// experts instead of training them; --entropies adds runs per causal entropy weight (Fig. 2.2).
// --shard I/N runs only the runs whose index in the grid's fixed order is I - 1 modulo N, so N
// machines (a Slurm array, GNU parallel over ssh) share a grid, into one shared directory or
// into separate ones that `imitate figure --dir A --dir B ...` merges.
// --jobs (default 2) runs side by side; progress lines on stderr (done/total, elapsed,
// estimated remaining); each child's progress lines in DIR/logs/<run>.log.
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "commands.h"
#include "grid_util.h"
#include "imitation/env.h"
#include "common/errors.h"

namespace lbb::imitation {
namespace {

namespace fs = std::filesystem;

struct GridArgs {
  std::string dir, tasks = "cartpole,acrobot,mountaincar", trajectories, algos = "bc,fem,gtal,gail", experts;
  std::string entropies = "0", shard;
  int64_t seeds = 3, iterations = 0, expert_iterations = 0, envs = 0, steps = 5000, jobs = 2, eval_episodes = 50,
          max_runs = 0, first_seed = 1, batch_steps = 0, bc_steps = 0;
  bool quiet = false;
};

struct RunSpec {
  std::string task, algo;
  int64_t trajectories = 0, seed = 0, iterations = 0;
  std::string entropy = "0";  // as given in --entropies
  std::string id() const {
    return task + "_k" + std::to_string(trajectories) + "_" + algo + (entropy == "0" ? "" : "_ent" + entropy) + "_s" +
           std::to_string(seed);
  }
};

// Runs fn(i) for i in [0, n) on `jobs` threads, in order of i.
void run_pool(size_t n, int64_t jobs, const std::function<void(size_t)>& fn, const std::atomic<bool>& stop) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int64_t j = 0; j < std::max<int64_t>(1, jobs); ++j)
    threads.emplace_back([&] {
      for (;;) {
        if (stop) return;
        const size_t i = next++;
        if (i >= n) return;
        fn(i);
      }
    });
  for (auto& t : threads) t.join();
}

// Appends one line with a single write() and syncs it: a line is either whole or cut at the
// end of the file (then ignored on reading). After a cut line (no newline at the end of the
// file) the new line starts on a line of its own.
void append_line(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(path + ": cannot open for appending");
  std::string s = line + "\n";
  const off_t size = ::lseek(fd, 0, SEEK_END);
  char last = '\n';
  if (size > 0 && ::pread(fd, &last, 1, size - 1) == 1 && last != '\n') s = "\n" + s;
  const bool ok = ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
  ::fsync(fd);
  ::close(fd);
  if (!ok) throw IoError(path + ": write failed");
}

std::vector<std::map<std::string, std::string>> read_jsonl(const std::string& path) {
  std::vector<std::map<std::string, std::string>> rows;
  std::ifstream in(path);
  std::string line;
  std::map<std::string, std::string> row;
  while (std::getline(in, line))
    if (parse_flat_json(line, row)) rows.push_back(row);
  return rows;
}

std::string last_json_line(const std::string& out) {
  std::istringstream in(out);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty() && line[0] == '{') last = line;
  return last;
}

}  // namespace

void add_grid_command(CLI::App& app) {
  auto args = std::make_shared<GridArgs>();
  CLI::App* cmd = app.add_subcommand("grid", "The experiment of Figure 2.1: experts, demonstrations and every run, resumable");
  cmd->alias("experiment");
  cmd->add_option("--dir,-d", args->dir, "Experiment directory (created; reused to resume)")->required();
  cmd->add_option("--tasks", args->tasks, "Comma-separated tasks")->capture_default_str();
  cmd->add_option("--trajectories", args->trajectories,
                  "Comma-separated dataset sizes (default per task: 1,4,7,10; MuJoCo 4,11,18,25, Reacher 4,11,18, "
                  "Humanoid 80,160,240)");
  cmd->add_option("--experts", args->experts,
                  "Take each task's expert from this folder (<task>.pt and the <task>.json of `imitate expert "
                  "--json`, e.g. models/experts) instead of training it");
  cmd->add_option("--entropies", args->entropies,
                  "Comma-separated causal entropy weights of the GAIL runs (Figure 2.2: 0,0.001,0.01,0.1)")
      ->capture_default_str();
  cmd->add_option("--bc-steps", args->bc_steps, "BC's Adam steps (0: the task's default)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--batch-steps", args->batch_steps,
                  "MuJoCo tasks: environment steps per iteration in whole episodes (0: 50000)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--algos", args->algos, "Comma-separated algorithms: bc, fem, gtal, gail")->capture_default_str();
  cmd->add_option("--seeds", args->seeds, "Seeds per cell (first-seed, first-seed + 1, ...)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--first-seed", args->first_seed, "The first seed")->capture_default_str();
  cmd->add_option("--iterations,-n", args->iterations,
                  "FEM / GTAL / GAIL iterations (0: per task, cartpole 50, acrobot 120, mountaincar 130)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--expert-iterations", args->expert_iterations,
                  "Expert TRPO iterations (0: per task, cartpole 30 / to 199.5, acrobot 40, mountaincar 120)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--envs", args->envs, "Environments in lockstep (experts and learners; 0: 25, MuJoCo 50)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--steps", args->steps, "Environment steps per iteration (experts and learners)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--eval-episodes", args->eval_episodes, "Deterministic evaluation episodes per learned policy")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--jobs,-j", args->jobs, "Runs side by side (one process and one thread each)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-runs", args->max_runs, "Stop after this many runs finish in this invocation (0: all)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--shard", args->shard, "I/N: run only the I-th of N deterministic shards of the runs (1 <= I <= N)");
  cmd->add_flag("--quiet,-q", args->quiet, "No progress lines");
  cmd->callback([args] {
    const GridArgs& a = *args;
    int64_t shard = 0, shards = 1;  // 0-based
    if (!a.shard.empty()) {
      long long i = 0, n = 0;
      char tail = 0;
      if (std::sscanf(a.shard.c_str(), "%lld/%lld%c", &i, &n, &tail) != 2 || n < 1 || i < 1 || i > n)
        throw InputError("--shard: '" + a.shard + "' is not I/N with 1 <= I <= N");
      shard = i - 1;
      shards = n;
    }
    const std::vector<std::string> tasks = split_list(a.tasks), algos = split_list(a.algos);
    const std::vector<std::string> entropies = split_list(a.entropies);
    for (const std::string& e : entropies) {
      char* end = nullptr;
      const double x = std::strtod(e.c_str(), &end);
      if (end != e.c_str() + e.size() || !(x >= 0)) throw InputError("--entropies: '" + e + "' is not a weight >= 0");
    }
    if (tasks.empty() || algos.empty() || entropies.empty()) throw InputError("nothing to run");
    std::map<std::string, std::vector<int64_t>> sizes;  // per task
    for (const std::string& t : tasks) {
      make_env(t);
      const TaskDefaults def = task_defaults(t);
      if (a.trajectories.empty()) {
        sizes[t] = def.sizes;
        continue;
      }
      for (const std::string& s : split_list(a.trajectories)) {
        char* end = nullptr;
        const long long k = std::strtoll(s.c_str(), &end, 10);
        if (end != s.c_str() + s.size() || k < 1 || k > def.demo_trajectories)
          throw InputError("--trajectories: '" + s + "' is not in 1.." + std::to_string(def.demo_trajectories) +
                           " for " + t);
        sizes[t].push_back(k);
      }
      if (sizes[t].empty()) throw InputError("nothing to run");
    }
    // Per task: the environment steps of an iteration, as options of `expert` and `train`.
    const auto batch_options = [&](const std::string& t) {
      const TaskDefaults def = task_defaults(t);
      if (def.batch_steps == 0) {
        const int64_t envs = a.envs > 0 ? a.envs : 25;
        if (a.steps % envs != 0) throw InputError("--steps must be a multiple of --envs");
        return " --envs " + std::to_string(envs) + " --steps " + std::to_string(a.steps);
      }
      return " --envs " + std::to_string(a.envs > 0 ? a.envs : def.envs) + " --batch-steps " +
             std::to_string(a.batch_steps > 0 ? a.batch_steps : def.batch_steps) + " --resume";
    };
    for (const std::string& t : tasks) batch_options(t);
    for (const std::string& al : algos)
      if (al != "bc" && al != "fem" && al != "gtal" && al != "gail") throw InputError("unknown algorithm '" + al + "'");
    const fs::path dir(a.dir);
    for (const char* sub : {"experts", "demos", "runs", "logs"}) fs::create_directories(dir / sub);
    const std::string exe = shell_quote(self_executable());
    const auto start = std::chrono::steady_clock::now();
    const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    std::mutex mu;
    std::atomic<bool> stop{false}, failed{false};
    std::string failure;

    // 1. Experts, demonstrations, reference returns.
    const std::string ref_path = (dir / "reference.jsonl").string();
    std::set<std::string> have_ref;
    for (const auto& row : read_jsonl(ref_path)) have_ref.insert(row.at("task"));
    run_pool(tasks.size(), a.jobs, [&](size_t i) {
      const std::string& t = tasks[i];
      const TaskDefaults def = task_defaults(t);
      const std::string expert = (dir / "experts" / (t + ".pt")).string(), demos = (dir / "demos" / (t + ".pt")).string();
      const std::string expert_json = (dir / "experts" / (t + ".json")).string();
      if ((!fs::exists(expert) || !fs::exists(expert_json)) && !a.experts.empty()) {
        const fs::path from = fs::path(a.experts) / (t + ".pt"), from_json = fs::path(a.experts) / (t + ".json");
        if (!fs::exists(from) || !fs::exists(from_json)) {
          std::lock_guard<std::mutex> lock(mu);
          failed = true;
          failure = "--experts: no " + from.string() + " with its " + from_json.string();
          return;
        }
        fs::copy_file(from_json, expert_json, fs::copy_options::overwrite_existing);
        fs::copy_file(from, expert, fs::copy_options::overwrite_existing);
      }
      if (!fs::exists(expert) || !fs::exists(expert_json)) {
        const int64_t iters = a.expert_iterations > 0 ? a.expert_iterations : def.expert_iterations;
        std::string c = exe + " expert --env " + t + " --iterations " + std::to_string(iters) + " --seed " +
                        std::to_string(def.expert_seed) + batch_options(t) + " --eval-episodes 50 --json --out " +
                        shell_quote(expert) + " 2> " + shell_quote((dir / "logs" / ("expert_" + t + ".log")).string());
        if (std::isfinite(def.expert_target)) c += " --target " + std::to_string(def.expert_target);
        if (!a.quiet) std::fprintf(stderr, "[%s] expert %s: %lld TRPO iterations\n", format_duration(elapsed()).c_str(), t.c_str(), static_cast<long long>(iters));
        const ChildResult r = run_child(c);
        const std::string line = last_json_line(r.out);
        if (r.status != 0 || line.empty()) {
          std::lock_guard<std::mutex> lock(mu);
          failed = true;
          failure = "expert " + t + " failed (status " + std::to_string(r.status) + "); see " + (dir / "logs").string();
          return;
        }
        std::ofstream(expert_json) << line << "\n";
      }
      if (!fs::exists(demos)) {
        const ChildResult r = run_child(exe + " demos --expert " + shell_quote(expert) + " --trajectories " +
                                        std::to_string(def.demo_trajectories) + " --seed 1 --json --out " +
                                        shell_quote(demos) + " 2>&1");
        if (r.status != 0) {
          std::lock_guard<std::mutex> lock(mu);
          failed = true;
          failure = "demos " + t + " failed: " + r.out;
          return;
        }
      }
      if (!have_ref.count(t)) {
        std::ifstream in(expert_json);
        std::string line;
        std::getline(in, line);
        std::map<std::string, std::string> ej;
        if (!parse_flat_json(line, ej) || !ej.count("eval_return_stochastic")) {
          std::lock_guard<std::mutex> lock(mu);
          failed = true;
          failure = expert_json + ": not an expert record";
          return;
        }
        const double rnd = random_policy_return(t, 50, 12345);
        std::ostringstream o;
        o << "{\"task\": " << json_string(t) << ", \"expert_return\": " << ej["eval_return_stochastic"]
          << ", \"expert_return_deterministic\": " << ej["eval_return_deterministic"]
          << ", \"random_return\": " << json_number(rnd) << ", \"episodes\": 50, \"expert_iterations\": "
          << ej["iterations"] << "}";
        std::lock_guard<std::mutex> lock(mu);
        append_line(ref_path, o.str());
        if (!a.quiet)
          std::fprintf(stderr, "[%s] %s: expert %s (stochastic), random policy %.2f\n", format_duration(elapsed()).c_str(),
                       t.c_str(), ej["eval_return_stochastic"].c_str(), rnd);
      }
    }, stop);
    if (failed) throw std::runtime_error(failure);

    // 2. The runs, skipping those already in the results file.
    const std::string results = (dir / "results.jsonl").string();
    std::set<std::string> done_ids;
    for (const auto& row : read_jsonl(results))
      if (row.count("run")) done_ids.insert(row.at("run"));
    std::vector<RunSpec> todo;
    int64_t total = 0, index = 0;
    for (const std::string& t : tasks) {
      const TaskDefaults def = task_defaults(t);
      const std::vector<int64_t>& ks = sizes[t];
      for (int64_t k : ks)
        for (const std::string& al : algos) {
          const bool apprenticeship = al == "fem" || al == "gtal";
          if (apprenticeship && def.apprenticeship_at_ends && k != ks.front() && k != ks.back()) continue;
          const int64_t seeds = al == "bc" || def.rl_seeds == 0 ? a.seeds : def.rl_seeds;
          for (const std::string& ent : al == "gail" ? entropies : std::vector<std::string>{"0"})
            for (int64_t s = a.first_seed; s < a.first_seed + seeds; ++s) {
              RunSpec r{t, al, k, s, a.iterations > 0 ? a.iterations : def.iterations, ent};
              if (index++ % shards != shard) continue;  // another shard's
              ++total;
              if (!done_ids.count(r.id())) todo.push_back(r);
            }
        }
    }
    const int64_t already = total - static_cast<int64_t>(todo.size());
    if (!a.quiet)
      std::fprintf(stderr, "[%s] %lld runs, %lld already in %s, %lld to run on %lld jobs\n",
                   format_duration(elapsed()).c_str(), static_cast<long long>(total), static_cast<long long>(already),
                   results.c_str(), static_cast<long long>(todo.size()), static_cast<long long>(a.jobs));
    std::atomic<int64_t> finished{0}, started{0};
    double work_seconds = 0, rl_seconds = 0;  // over the runs finished here (rl: FEM / GTAL / GAIL)
    int64_t rl_done = 0, bc_done = 0;
    double bc_seconds = 0;
    const auto phase2_start = elapsed();
    run_pool(todo.size(), a.jobs, [&](size_t i) {
      if (a.max_runs > 0 && started++ >= a.max_runs) {
        stop = true;
        return;
      }
      const RunSpec& r = todo[i];
      const std::string id = r.id();
      const std::string c = exe + " train --algo " + r.algo + " --demos " +
                            shell_quote((dir / "demos" / (r.task + ".pt")).string()) + " --trajectories " +
                            std::to_string(r.trajectories) + " --seed " + std::to_string(r.seed) + " --iterations " +
                            std::to_string(r.iterations) + batch_options(r.task) +
                            (r.entropy == "0" ? "" : " --entropy " + r.entropy) +
                            (r.algo == "bc" && a.bc_steps > 0 ? " --bc-steps " + std::to_string(a.bc_steps) : "") +
                            " --eval-episodes " +
                            std::to_string(a.eval_episodes) + " --json --out " +
                            shell_quote((dir / "runs" / (id + ".pt")).string()) + " 2> " +
                            shell_quote((dir / "logs" / (id + ".log")).string());
      const auto t0 = std::chrono::steady_clock::now();
      const ChildResult res = run_child(c);
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::map<std::string, std::string> j;
      if (res.status != 0 || !parse_flat_json(last_json_line(res.out), j)) {
        std::lock_guard<std::mutex> lock(mu);
        failed = true;
        failure = "run " + id + " failed (status " + std::to_string(res.status) + "); see " +
                  (dir / "logs" / (id + ".log")).string();
        stop = true;
        return;
      }
      std::ostringstream o;
      o << "{\"run\": " << json_string(id) << ", \"task\": " << json_string(r.task) << ", \"trajectories\": "
        << r.trajectories << ", \"algo\": " << json_string(r.algo) << ", \"seed\": " << r.seed
        << ", \"iterations\": " << (r.algo == "bc" ? 0 : r.iterations) << ", \"entropy\": " << r.entropy
        << ", \"pairs\": " << j["pairs"]
        << ", \"env_steps\": " << j["env_steps"] << ", \"eval_episodes\": " << j["eval_episodes"]
        << ", \"eval_return\": " << j["eval_return"] << ", \"eval_return_std\": " << j["eval_return_std"]
        << ", \"train_seconds\": " << j["train_seconds"] << ", \"wall_seconds\": " << json_number(wall, 3)
        << ", \"policy_hash\": " << json_string(j["policy_hash"]) << "}";
      std::lock_guard<std::mutex> lock(mu);
      append_line(results, o.str());
      const int64_t n = ++finished;
      work_seconds += wall;
      if (r.algo == "bc") {
        ++bc_done;
        bc_seconds += wall;
      } else {
        ++rl_done;
        rl_seconds += wall;
      }
      if (!a.quiet) {
        // Remaining: the runs left at the mean time of their kind so far, over the jobs.
        int64_t left_rl = 0, left_bc = 0;
        for (size_t q = i + 1; q < todo.size(); ++q) (todo[q].algo == "bc" ? left_bc : left_rl)++;
        const double per_rl = rl_done ? rl_seconds / rl_done : (bc_done ? bc_seconds / bc_done : NAN);
        const double per_bc = bc_done ? bc_seconds / bc_done : per_rl;
        const double remaining = (left_rl * per_rl + left_bc * per_bc) / static_cast<double>(a.jobs);
        std::fprintf(stderr, "[%s] %lld/%lld  %-26s return %9s  %6.1f s  | elapsed %s, remaining ~%s\n",
                     format_duration(elapsed()).c_str(), static_cast<long long>(already + n),
                     static_cast<long long>(total), id.c_str(), j["eval_return"].c_str(), wall,
                     format_duration(elapsed() - phase2_start).c_str(), format_duration(remaining).c_str());
      }
    }, stop);
    if (failed) throw std::runtime_error(failure);
    const int64_t n = finished;
    std::printf("%lld/%lld runs in %s (%lld this time, %.1f s of run time); results in %s\n",
                static_cast<long long>(already + n), static_cast<long long>(total), format_duration(elapsed()).c_str(),
                static_cast<long long>(n), work_seconds, results.c_str());
  });
}

}  // namespace lbb::imitation
