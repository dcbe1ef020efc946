#include "imitation/vec_env.h"

#include <stdexcept>

namespace lbb::imitation {

VecEnv::VecEnv(const std::string& name, int64_t n, uint64_t seed) {
  if (n < 1) throw std::invalid_argument("VecEnv: need at least one environment");
  const uint64_t base = mix_seed(seed);
  for (int64_t i = 0; i < n; ++i) {
    envs_.push_back(make_env(name));
    const std::vector<double> o = envs_.back()->reset(base + static_cast<uint64_t>(i));
    obs_.insert(obs_.end(), o.begin(), o.end());
  }
}

VecStep VecEnv::step(const std::vector<Action>& actions) {
  if (static_cast<int64_t>(actions.size()) != size()) throw std::invalid_argument("VecEnv::step: one action per environment");
  const int64_t d = spec().obs_dim;
  VecStep out;
  out.final_obs.resize(obs_.size());
  out.reward.resize(actions.size());
  out.terminated.resize(actions.size());
  out.truncated.resize(actions.size());
  for (int64_t i = 0; i < size(); ++i) {
    const StepResult r = envs_[i]->step(actions[i]);
    std::copy(r.obs.begin(), r.obs.end(), out.final_obs.begin() + i * d);
    out.reward[i] = r.reward;
    out.terminated[i] = r.terminated;
    out.truncated[i] = r.truncated;
    const std::vector<double> next = r.done() ? envs_[i]->reset() : r.obs;
    std::copy(next.begin(), next.end(), obs_.begin() + i * d);
  }
  out.obs = obs_;
  return out;
}

}  // namespace lbb::imitation
