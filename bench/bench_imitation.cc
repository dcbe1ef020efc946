// Benchmarks of imitate (issue 10, item 9), Google Benchmark, one thread as every run:
//   BM_VecEnvSteps/<env>/<N>: lockstep environment steps per second (N environments,
//     random actions; the policy excluded), items = environment steps;
//   BM_TrpoIteration/<env>: one TRPO iteration of 5000 steps (sampling, GAE, the TRPO step,
//     the value fit) on the true reward;
//   BM_GailRun/cartpole: one GAIL run's wall time (10 iterations of 5000 steps, 1 trajectory
//     of a hand-written balancing rule), and BM_FemRun / BM_GtalRun the same for FEM, GTAL.
//   BM_MujocoSteps/<task>: environment steps per second of one MuJoCo task (uniform random
//     controls, resets included), items = environment steps;
//   BM_MujocoGailIteration/<task>: one GAIL iteration on a 50,000-step batch of whole episodes
//     (the author's setting), with its time split into simulation and acting, the
//     discriminator, the TRPO step and the value fit (counters, seconds).
// bench_imitation --benchmark_min_time=... as usual; --benchmark_filter=Mujoco for the MuJoCo half.
#include <benchmark/benchmark.h>

#include "imitation/apprenticeship.h"
#include "imitation/demonstrations.h"
#include "imitation/mujoco_env.h"
#include "imitation/gail.h"
#include "imitation/torch_setup.h"
#include "imitation/trpo_trainer.h"
#include "imitation/vec_env.h"

namespace lbb::imitation {
namespace {

const char* kEnvs[] = {"cartpole", "acrobot", "mountaincar"};

void BM_VecEnvSteps(benchmark::State& state) {
  use_one_thread();
  const std::string env = kEnvs[state.range(0)];
  const int64_t n = state.range(1);
  VecEnv venv(env, n, 1);
  const EnvSpec spec = venv.spec();
  Rng rng(2);
  std::vector<Action> actions(static_cast<size_t>(n));
  for (auto _ : state) {
    for (Action& a : actions) a.index = static_cast<int64_t>(rng.below(static_cast<uint64_t>(spec.num_actions)));
    benchmark::DoNotOptimize(venv.step(actions));
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetLabel(env);
}
BENCHMARK(BM_VecEnvSteps)->ArgsProduct({{0, 1, 2}, {1, 25, 100}});

void BM_TrpoIteration(benchmark::State& state) {
  use_one_thread();
  TrpoTrainerOptions opt;
  opt.env = kEnvs[state.range(0)];
  opt.seed = 1;
  TrpoTrainer trainer(opt);
  for (auto _ : state) benchmark::DoNotOptimize(trainer.iterate());
  state.SetItemsProcessed(state.iterations() * opt.num_envs * opt.steps_per_env);
  state.SetLabel(opt.env);
}
BENCHMARK(BM_TrpoIteration)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->Iterations(3);

// One trajectory of "push right when theta + theta_dot > 0", every 10th pair.
Demonstrations rule_demos() {
  std::vector<double> obs;
  std::vector<int64_t> act, traj, step;
  auto env = make_env("cartpole");
  std::vector<double> o = env->reset(300);
  int64_t t = 0;
  for (;; ++t) {
    Action a;
    a.index = o[2] + o[3] > 0 ? 1 : 0;
    if (t % 10 == 0) {
      obs.insert(obs.end(), o.begin(), o.end());
      act.push_back(a.index);
      traj.push_back(0);
      step.push_back(t);
    }
    const StepResult r = env->step(a);
    o = r.obs;
    if (r.done()) break;
  }
  Demonstrations d;
  d.env = "cartpole";
  d.rate = 10;
  d.obs = torch::tensor(obs, torch::kFloat64).view({-1, 4});
  d.actions = torch::tensor(act, torch::kInt64);
  d.traj = torch::tensor(traj, torch::kInt64);
  d.step = torch::tensor(step, torch::kInt64);
  d.returns = torch::tensor(std::vector<double>{static_cast<double>(t + 1)}, torch::kFloat64);
  d.lengths = torch::tensor(std::vector<int64_t>{t + 1}, torch::kInt64);
  return d;
}

constexpr int kRunIterations = 10;

void BM_GailRun(benchmark::State& state) {
  use_one_thread();
  const Demonstrations d = rule_demos();
  for (auto _ : state) {
    GailOptions opt;
    opt.rl.env = "cartpole";
    opt.rl.seed = 1;
    GailTrainer gail(d, opt);
    for (int i = 0; i < kRunIterations; ++i) benchmark::DoNotOptimize(gail.iterate());
  }
  state.SetItemsProcessed(state.iterations() * kRunIterations * 5000);
}
BENCHMARK(BM_GailRun)->Unit(benchmark::kMillisecond)->Iterations(1);

void apprenticeship_run(benchmark::State& state, CostClass cost) {
  use_one_thread();
  const Demonstrations d = rule_demos();
  for (auto _ : state) {
    ApprenticeshipOptions opt;
    opt.rl.env = "cartpole";
    opt.rl.seed = 1;
    opt.cost = cost;
    opt.iterations = kRunIterations;
    ApprenticeshipTrainer al(d, opt);
    for (int i = 0; i < kRunIterations; ++i) benchmark::DoNotOptimize(al.iterate());
  }
  state.SetItemsProcessed(state.iterations() * kRunIterations * 5000);
}
void BM_FemRun(benchmark::State& state) { apprenticeship_run(state, CostClass::kLinear); }
void BM_GtalRun(benchmark::State& state) { apprenticeship_run(state, CostClass::kConvex); }
BENCHMARK(BM_FemRun)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_GtalRun)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace lbb::imitation

namespace lbb::imitation {
namespace {

const char* kMujocoTasks[] = {"reacher", "halfcheetah", "hopper", "walker2d", "ant", "humanoid"};

void BM_MujocoSteps(benchmark::State& state) {
  use_one_thread();
  const std::string task = kMujocoTasks[state.range(0)];
  std::unique_ptr<Env> env = make_env(task);
  const double* range = dynamic_cast<MujocoEnv&>(*env).model()->actuator_ctrlrange;
  const int64_t dim = env->spec().action_dim;
  Rng rng(3);
  env->reset(1);
  Action a;
  a.values.resize(static_cast<size_t>(dim));
  for (auto _ : state) {
    for (int64_t k = 0; k < dim; ++k) a.values[k] = rng.uniform(range[2 * k], range[2 * k + 1]);
    if (env->step(a).done()) env->reset();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(task);
}
BENCHMARK(BM_MujocoSteps)->DenseRange(0, 5);

void BM_MujocoGailIteration(benchmark::State& state) {
  use_one_thread();
  const std::string task = kMujocoTasks[state.range(0)];
  // Any demonstrations time the same: 4 trajectories of an untrained policy, every 20th pair.
  Rng rng(4);
  auto teacher = make_policy(make_env(task)->spec(), rng);
  const Demonstrations demos = sample_demonstrations(*teacher, task, 4, default_subsample_rate(task), 5);
  GailOptions opt;
  opt.rl.env = task;
  opt.rl.seed = 1;
  opt.rl.num_envs = 50;
  set_episode_batches(opt.rl, 50000);
  opt.discriminator_entropy = 0.001;
  GailTrainer gail(demos, opt);
  GailIterationStats st;
  for (auto _ : state) st = gail.iterate();
  state.counters["simulation_s"] = st.rl.sample_seconds;
  state.counters["discriminator_s"] = st.discriminator_seconds;
  state.counters["trpo_step_s"] = st.rl.policy_seconds;
  state.counters["value_fit_s"] = st.rl.value_seconds;
  state.counters["env_steps"] = static_cast<double>(st.rl.env_steps);
  state.SetLabel(task);
}
BENCHMARK(BM_MujocoGailIteration)->DenseRange(0, 5)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace lbb::imitation

BENCHMARK_MAIN();
