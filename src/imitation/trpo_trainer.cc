#include "imitation/trpo_trainer.h"

#include <chrono>

namespace lbb::imitation {

TrpoTrainer::TrpoTrainer(const TrpoTrainerOptions& options)
    : options_(options),
      init_rng_(mix_seed(options.seed) ^ 0x1111ull),
      sampler_(options.env, options.num_envs, mix_seed(options.seed) ^ 0x2222ull) {
  policy_ = make_policy(sampler_.spec(), init_rng_, options.hidden);
  value_ = std::make_unique<ValueFunction>(sampler_.spec().obs_dim, options.hidden, init_rng_);
}

IterationStats TrpoTrainer::iterate(const RewardFn& reward_fn) {
  const auto start = std::chrono::steady_clock::now();
  IterationStats st;
  st.iteration = ++iteration_;
  const Rollout r = sampler_.sample(*policy_, options_.steps_per_env);
  env_steps_ += r.T * r.N;
  st.env_steps = env_steps_;
  st.episodes = static_cast<int64_t>(r.episode_returns.size());
  st.mean_return = r.mean_episode_return();
  double len = 0;
  for (int64_t l : r.episode_lengths) len += static_cast<double>(l);
  st.mean_length = st.episodes > 0 ? len / static_cast<double>(st.episodes) : 0.0;

  policy_->normalizer.update(r.obs);
  const torch::Tensor z = policy_->normalizer.normalize(r.obs);
  const std::vector<double> rewards = reward_fn ? reward_fn(r) : r.rewards;

  // V(s_t) and V(s_{t+1}) (0 after termination); episode ends cut the advantage sum.
  const torch::Tensor v = value_->predict(z).contiguous();
  const torch::Tensor v_next = value_->predict(policy_->normalizer.normalize(r.next_obs)).contiguous();
  const size_t n = rewards.size();
  std::vector<double> values(v.data_ptr<double>(), v.data_ptr<double>() + n);
  std::vector<double> next_values(v_next.data_ptr<double>(), v_next.data_ptr<double>() + n);
  std::vector<uint8_t> ends(n);
  for (size_t k = 0; k < n; ++k) {
    if (r.terminated[k]) next_values[k] = 0.0;
    ends[k] = r.terminated[k] || r.truncated[k];
  }
  const std::vector<double> adv = gae_advantages(rewards, values, next_values, ends, r.T, r.N, options_.gae);
  const torch::Tensor adv_t = torch::tensor(adv, torch::kFloat64);
  const torch::Tensor returns = adv_t + v;
  const torch::Tensor adv_std = (adv_t - adv_t.mean()) / (adv_t.std(/*unbiased=*/false) + 1e-8);

  st.step = trpo_step(*policy_, z, r.actions, adv_std, options_.trpo);
  st.value_mse = value_->fit(z, returns, options_.value_fit);
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return st;
}

}  // namespace lbb::imitation
