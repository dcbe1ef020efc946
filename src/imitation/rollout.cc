#include "imitation/rollout.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "common/errors.h"

namespace lbb::imitation {

double Rollout::mean_episode_return() const {
  if (episode_returns.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (double r : episode_returns) s += r;
  return s / static_cast<double>(episode_returns.size());
}

Sampler::Sampler(const std::string& env, int64_t num_envs, uint64_t seed)
    : envs_(env, num_envs, seed), rng_(mix_seed(seed) ^ 0x5a5a5a5aull), running_return_(num_envs, 0.0),
      running_length_(num_envs, 0) {}

Rollout Sampler::sample(Policy& policy, int64_t T, bool deterministic) {
  const int64_t N = envs_.size(), d = envs_.spec().obs_dim;
  Rollout r;
  r.T = T;
  r.N = N;
  r.obs = torch::empty({T * N, d}, torch::kFloat64);
  r.next_obs = torch::empty({T * N, d}, torch::kFloat64);
  std::vector<torch::Tensor> actions;
  r.rewards.reserve(T * N);
  r.terminated.reserve(T * N);
  r.truncated.reserve(T * N);
  for (int64_t t = 0; t < T; ++t) {
    torch::Tensor obs_t = r.obs.slice(0, t * N, (t + 1) * N);
    std::copy(envs_.obs().begin(), envs_.obs().end(), obs_t.data_ptr<double>());
    const torch::Tensor a = policy.act(obs_t, rng_, deterministic);
    actions.push_back(a);
    const VecStep s = envs_.step(policy.to_env_actions(a));
    std::copy(s.final_obs.begin(), s.final_obs.end(), r.next_obs.slice(0, t * N, (t + 1) * N).data_ptr<double>());
    for (int64_t i = 0; i < N; ++i) {
      r.rewards.push_back(s.reward[i]);
      r.terminated.push_back(s.terminated[i]);
      r.truncated.push_back(s.truncated[i]);
      running_return_[i] += s.reward[i];
      ++running_length_[i];
      if (s.terminated[i] || s.truncated[i]) {
        r.episode_returns.push_back(running_return_[i]);
        r.episode_lengths.push_back(running_length_[i]);
        running_return_[i] = 0;
        running_length_[i] = 0;
      }
    }
  }
  r.actions = torch::cat(actions, 0);
  return r;
}

EpisodeSampler::EpisodeSampler(const std::string& env, int64_t num_envs, uint64_t seed)
    : rng_(mix_seed(seed) ^ 0x5a5a5a5aull) {
  if (num_envs < 1) throw std::invalid_argument("EpisodeSampler: need at least one environment");
  const uint64_t base = mix_seed(seed);
  for (int64_t i = 0; i < num_envs; ++i) {
    envs_.push_back(make_env(env));
    envs_.back()->rng().seed(base + static_cast<uint64_t>(i));
  }
}

Rollout EpisodeSampler::sample(Policy& policy, int64_t min_steps, bool deterministic) {
  const int64_t N = static_cast<int64_t>(envs_.size()), d = spec().obs_dim;
  // One episode in progress per environment: its observations, actions, rewards.
  struct Episode {
    std::vector<double> obs, next_obs, rewards;
    std::vector<double> actions;  // action_dim values per step, or the discrete index
    bool terminated = false;
  };
  std::vector<Episode> running(N);
  std::vector<std::vector<double>> current(N);  // the observation to act on
  std::vector<Episode> ended;
  std::vector<int64_t> active;
  int64_t steps = 0;
  for (int64_t i = 0; i < N; ++i) {
    current[i] = envs_[i]->reset();
    active.push_back(i);
  }
  while (!active.empty()) {
    const int64_t B = static_cast<int64_t>(active.size());
    torch::Tensor obs = torch::empty({B, d}, torch::kFloat64);
    for (int64_t b = 0; b < B; ++b) std::copy(current[active[b]].begin(), current[active[b]].end(), obs.data_ptr<double>() + b * d);
    const std::vector<Action> acts = policy.to_env_actions(policy.act(obs, rng_, deterministic));
    std::vector<int64_t> still;
    steps += B;  // this round's steps, counted before any environment decides to go on
    for (int64_t b = 0; b < B; ++b) {
      const int64_t i = active[b];
      const StepResult r = envs_[i]->step(acts[b]);
      Episode& e = running[i];
      e.obs.insert(e.obs.end(), current[i].begin(), current[i].end());
      e.next_obs.insert(e.next_obs.end(), r.obs.begin(), r.obs.end());
      e.rewards.push_back(r.reward);
      if (spec().discrete())
        e.actions.push_back(static_cast<double>(acts[b].index));
      else
        e.actions.insert(e.actions.end(), acts[b].values.begin(), acts[b].values.end());
      if (!r.done()) {
        current[i] = r.obs;
        still.push_back(i);
        continue;
      }
      e.terminated = r.terminated;
      ended.push_back(std::move(e));
      e = Episode();
      // A new episode only while the call has collected fewer than min_steps (all steps taken so
      // far, this round's included; an episode under way runs to its end).
      if (steps < min_steps) {
        current[i] = envs_[i]->reset();
        still.push_back(i);
      }
    }
    active = std::move(still);
  }
  Rollout r;
  r.N = 1;
  r.T = steps;
  std::vector<double> obs, next_obs, actions;
  obs.reserve(steps * d);
  next_obs.reserve(steps * d);
  for (Episode& e : ended) {
    const int64_t len = static_cast<int64_t>(e.rewards.size());
    obs.insert(obs.end(), e.obs.begin(), e.obs.end());
    next_obs.insert(next_obs.end(), e.next_obs.begin(), e.next_obs.end());
    actions.insert(actions.end(), e.actions.begin(), e.actions.end());
    double ret = 0;
    for (int64_t t = 0; t < len; ++t) {
      ret += e.rewards[t];
      r.rewards.push_back(e.rewards[t]);
      const bool last = t == len - 1;
      r.terminated.push_back(last && e.terminated);
      r.truncated.push_back(last && !e.terminated);
    }
    r.episode_returns.push_back(ret);
    r.episode_lengths.push_back(len);
  }
  r.obs = torch::tensor(obs, torch::kFloat64).view({steps, d});
  r.next_obs = torch::tensor(next_obs, torch::kFloat64).view({steps, d});
  r.actions = spec().discrete() ? torch::tensor(actions, torch::kFloat64).to(torch::kInt64)
                                : torch::tensor(actions, torch::kFloat64).view({steps, spec().action_dim});
  return r;
}

std::string EpisodeSampler::state() const {
  std::ostringstream out;
  out << rng_.state() << '\n';
  for (const auto& e : envs_) out << e->rng().state() << '\n';
  return out.str();
}

void EpisodeSampler::set_state(const std::string& state) {
  std::istringstream in(state);
  std::string line;
  if (!std::getline(in, line)) throw InputError("sampler state: empty");
  rng_.set_state(line);
  for (auto& e : envs_) {
    if (!std::getline(in, line)) throw InputError("sampler state: fewer environments than " + std::to_string(envs_.size()));
    e->rng().set_state(line);
  }
}

std::vector<double> evaluate_policy(Policy& policy, const std::string& env, int64_t episodes, uint64_t seed,
                                    bool deterministic) {
  VecEnv envs(env, episodes, seed);
  Rng rng(mix_seed(seed) ^ 0xe7a1ull);
  const int64_t d = envs.spec().obs_dim;
  std::vector<double> returns(episodes, 0.0);
  std::vector<uint8_t> finished(episodes, 0);
  int64_t remaining = episodes;
  while (remaining > 0) {
    torch::Tensor obs = torch::empty({episodes, d}, torch::kFloat64);
    std::copy(envs.obs().begin(), envs.obs().end(), obs.data_ptr<double>());
    const VecStep s = envs.step(policy.to_env_actions(policy.act(obs, rng, deterministic)));
    for (int64_t i = 0; i < episodes; ++i) {
      if (finished[i]) continue;  // its first episode is over; later ones do not count
      returns[i] += s.reward[i];
      if (s.terminated[i] || s.truncated[i]) {
        finished[i] = 1;
        --remaining;
      }
    }
  }
  return returns;
}

}  // namespace lbb::imitation
