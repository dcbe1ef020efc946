#include "imitation/demonstrations.h"

#include <filesystem>

#include "imitation/vec_env.h"
#include "imitation/archive_file.h"
#include "common/errors.h"

namespace lbb::imitation {

namespace {
constexpr int64_t kDemosVersion = 1;
}

int64_t default_subsample_rate(const std::string& env) {
  if (env.rfind("cartpole", 0) == 0) return 10;
  if (env == "acrobot" || env == "mountaincar") return 5;
  return env == "reacher" ? 1 : 20;  // the MuJoCo tasks (DESIGN.md §10.1)
}

Demonstrations Demonstrations::first(int64_t k) const {
  const torch::Tensor keep = traj < k;
  Demonstrations d = *this;
  d.obs = obs.index({keep});
  d.actions = actions.index({keep});
  d.traj = traj.index({keep});
  d.step = step.index({keep});
  d.returns = returns.slice(0, 0, k);
  d.lengths = lengths.slice(0, 0, k);
  return d;
}

Demonstrations sample_demonstrations(Policy& expert, const std::string& env, int64_t trajectories, int64_t rate,
                                     uint64_t seed) {
  VecEnv envs(env, trajectories, seed);
  Rng rng(mix_seed(seed) ^ 0xde705ull);
  const int64_t d = envs.spec().obs_dim;
  // Offsets first, so that they do not depend on the episodes' lengths.
  std::vector<int64_t> offset(trajectories);
  for (int64_t i = 0; i < trajectories; ++i) offset[i] = static_cast<int64_t>(rng.below(rate));
  std::vector<std::vector<torch::Tensor>> obs(trajectories), act(trajectories);
  std::vector<std::vector<int64_t>> steps(trajectories);
  std::vector<double> returns(trajectories, 0.0);
  std::vector<int64_t> lengths(trajectories, 0);
  std::vector<uint8_t> finished(trajectories, 0);
  int64_t remaining = trajectories;
  while (remaining > 0) {
    torch::Tensor o = torch::empty({trajectories, d}, torch::kFloat64);
    std::copy(envs.obs().begin(), envs.obs().end(), o.data_ptr<double>());
    const torch::Tensor a = expert.act(o, rng, /*deterministic=*/false);
    const VecStep s = envs.step(expert.to_env_actions(a));
    for (int64_t i = 0; i < trajectories; ++i) {
      if (finished[i]) continue;
      const int64_t t = lengths[i]++;
      if (t % rate == offset[i]) {
        obs[i].push_back(o[i]);
        act[i].push_back(a[i]);
        steps[i].push_back(t);
      }
      returns[i] += s.reward[i];
      if (s.terminated[i] || s.truncated[i]) {
        finished[i] = 1;
        --remaining;
      }
    }
  }
  Demonstrations out;
  out.env = env;
  out.rate = rate;
  std::vector<torch::Tensor> all_obs, all_act;
  std::vector<int64_t> traj, step;
  for (int64_t i = 0; i < trajectories; ++i)
    for (size_t j = 0; j < obs[i].size(); ++j) {
      all_obs.push_back(obs[i][j]);
      all_act.push_back(act[i][j]);
      traj.push_back(i);
      step.push_back(steps[i][j]);
    }
  out.obs = torch::stack(all_obs);
  out.actions = torch::stack(all_act);
  out.traj = torch::tensor(traj, torch::kInt64);
  out.step = torch::tensor(step, torch::kInt64);
  out.returns = torch::tensor(returns, torch::kFloat64);
  out.lengths = torch::tensor(lengths, torch::kInt64);
  return out;
}

void save_demonstrations(const std::string& path, const Demonstrations& d) {
  torch::serialize::OutputArchive ar;
  ar.write("format", c10::IValue(std::string("imitate-demos")));
  ar.write("version", c10::IValue(kDemosVersion));
  ar.write("env", c10::IValue(d.env));
  ar.write("rate", c10::IValue(d.rate));
  ar.write("obs", d.obs, true);
  ar.write("actions", d.actions, true);
  ar.write("traj", d.traj, true);
  ar.write("step", d.step, true);
  ar.write("returns", d.returns, true);
  ar.write("lengths", d.lengths, true);
  ar.write("info", c10::IValue(d.info));
  save_archive_atomic(ar, path, "the demonstrations");
}

Demonstrations load_demonstrations(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path + ": no such file");
  Demonstrations d;
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(path);
    c10::IValue v;
    if (!ar.try_read("format", v) || !v.isString() || v.toStringRef() != "imitate-demos")
      throw InputError(path + ": not an imitate demonstrations file");
    ar.read("version", v);
    if (v.toInt() != kDemosVersion) throw InputError(path + ": demonstrations version " + std::to_string(v.toInt()));
    ar.read("env", v);
    d.env = v.toStringRef();
    const EnvSpec spec = make_env(d.env)->spec();
    ar.read("rate", v);
    d.rate = v.toInt();
    ar.read("obs", d.obs, true);
    ar.read("actions", d.actions, true);
    ar.read("traj", d.traj, true);
    ar.read("step", d.step, true);
    ar.read("returns", d.returns, true);
    ar.read("lengths", d.lengths, true);
    if (ar.try_read("info", v) && v.isString()) d.info = v.toStringRef();
    const int64_t M = d.obs.size(0);
    if (d.obs.dim() != 2 || d.obs.size(1) != spec.obs_dim || d.actions.size(0) != M || d.traj.numel() != M ||
        d.step.numel() != M || d.returns.numel() != d.lengths.numel() ||
        (spec.discrete() && d.actions.scalar_type() != torch::kInt64))
      throw InputError(path + ": inconsistent demonstration arrays");
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw InputError(path + ": not a readable demonstrations file (" + what.substr(0, what.find('\n')) + ")");
  }
  return d;
}

}  // namespace lbb::imitation
