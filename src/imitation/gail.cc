#include "imitation/gail.h"

#include <chrono>
#include <stdexcept>

namespace lbb::imitation {

GailTrainer::GailTrainer(const Demonstrations& demos, const GailOptions& options)
    : demos_(demos), options_(options), trainer_(options.rl), rng_(mix_seed(options.rl.seed) ^ 0x6a11ull) {
  if (demos.env != options.rl.env) throw std::invalid_argument("GAIL: demonstrations of " + demos.env + " for " + options.rl.env);
  const EnvSpec spec = make_env(demos.env)->spec();
  disc_ = std::make_unique<Discriminator>(spec.obs_dim, spec.num_actions, spec.action_dim, demos.obs,
                                          options.rl.hidden, rng_, options.discriminator_lr,
                                          options.discriminator_entropy);
  trainer_.policy().normalizer.update(demos.obs);
}

GailIterationStats GailTrainer::iterate() {
  GailIterationStats st;
  const RewardFn reward_fn = [&](const Rollout& r) {
    const auto start = std::chrono::steady_clock::now();
    const int64_t B = r.obs.size(0), M = demos_.pairs();
    std::vector<int64_t> pick(B);
    for (int64_t& k : pick) k = static_cast<int64_t>(rng_.below(M));
    const torch::Tensor idx = torch::tensor(pick, torch::kInt64);
    st.discriminator_loss =
        disc_->step(r.obs, r.actions, demos_.obs.index_select(0, idx), demos_.actions.index_select(0, idx));
    const torch::Tensor rew = disc_->reward(r.obs, r.actions, options_.reward).contiguous();
    st.mean_reward = rew.mean().item<double>();
    st.discriminator_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::vector<double>(rew.data_ptr<double>(), rew.data_ptr<double>() + B);
  };
  st.rl = trainer_.iterate(reward_fn);
  return st;
}

void GailTrainer::save_state(torch::serialize::OutputArchive& ar) {
  trainer_.save_state(ar);
  disc_->save_state(ar);
  ar.write("gail_rng", c10::IValue(rng_.state()));
}

void GailTrainer::load_state(torch::serialize::InputArchive& ar) {
  trainer_.load_state(ar);
  disc_->load_state(ar);
  c10::IValue v;
  ar.read("gail_rng", v);
  rng_.set_state(v.toStringRef());
}

}  // namespace lbb::imitation
