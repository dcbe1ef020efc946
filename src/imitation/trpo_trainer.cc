#include "imitation/trpo_trainer.h"

#include <chrono>

#include "common/errors.h"
#include "imitation/archive_file.h"

namespace lbb::imitation {

TrpoTrainer::TrpoTrainer(const TrpoTrainerOptions& options)
    : options_(options),
      init_rng_(mix_seed(options.seed) ^ 0x1111ull) {
  const uint64_t sampler_seed = mix_seed(options.seed) ^ 0x2222ull;
  if (options.episode_batch_steps > 0)
    episodes_ = std::make_unique<EpisodeSampler>(options.env, options.num_envs, sampler_seed);
  else
    sampler_ = std::make_unique<Sampler>(options.env, options.num_envs, sampler_seed);
  const EnvSpec& spec = episodes_ ? episodes_->spec() : sampler_->spec();
  policy_ = make_policy(spec, init_rng_, options.hidden);
  value_ = std::make_unique<ValueFunction>(spec.obs_dim, options.hidden, init_rng_);
}

Rollout TrpoTrainer::sample() {
  return episodes_ ? episodes_->sample(*policy_, options_.episode_batch_steps)
                   : sampler_->sample(*policy_, options_.steps_per_env);
}

void TrpoTrainer::save_state(torch::serialize::OutputArchive& ar) {
  if (!episodes_) throw std::logic_error("TrpoTrainer::save_state needs episode_batch_steps > 0");
  save_parameters(ar, "policy.", *policy_);
  save_parameters(ar, "value.", *value_->net());
  ar.write("obs_count", torch::tensor(policy_->normalizer.count(), torch::kFloat64), true);
  ar.write("obs_mean", policy_->normalizer.mean(), true);
  ar.write("obs_var", policy_->normalizer.var(), true);
  ar.write("iteration", c10::IValue(iteration_));
  ar.write("env_steps", c10::IValue(env_steps_));
  ar.write("sampler", c10::IValue(episodes_->state()));
}

void TrpoTrainer::load_state(torch::serialize::InputArchive& ar) {
  if (!episodes_) throw std::logic_error("TrpoTrainer::load_state needs episode_batch_steps > 0");
  load_parameters(ar, "policy.", *policy_);
  load_parameters(ar, "value.", *value_->net());
  torch::Tensor count, mean, var;
  ar.read("obs_count", count, true);
  ar.read("obs_mean", mean, true);
  ar.read("obs_var", var, true);
  policy_->normalizer.set(count.item<double>(), mean, var);
  c10::IValue v;
  ar.read("iteration", v);
  iteration_ = v.toInt();
  ar.read("env_steps", v);
  env_steps_ = v.toInt();
  ar.read("sampler", v);
  episodes_->set_state(v.toStringRef());
}

IterationStats TrpoTrainer::iterate(const RewardFn& reward_fn) {
  const auto start = std::chrono::steady_clock::now();
  IterationStats st;
  st.iteration = ++iteration_;
  const Rollout r = sample();
  const auto sampled = std::chrono::steady_clock::now();
  st.sample_seconds = std::chrono::duration<double>(sampled - start).count();
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

  const auto before_step = std::chrono::steady_clock::now();
  st.step = trpo_step(*policy_, z, r.actions, adv_std, options_.trpo);
  const auto stepped = std::chrono::steady_clock::now();
  st.policy_seconds = std::chrono::duration<double>(stepped - before_step).count();
  st.value_mse = value_->fit(z, returns, options_.value_fit);
  const auto end = std::chrono::steady_clock::now();
  st.value_seconds = std::chrono::duration<double>(end - stepped).count();
  st.seconds = std::chrono::duration<double>(end - start).count();
  return st;
}

}  // namespace lbb::imitation
