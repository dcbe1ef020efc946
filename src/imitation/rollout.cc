#include "imitation/rollout.h"

#include <cmath>
#include <limits>

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
