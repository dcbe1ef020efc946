#include "imitation/policy_file.h"

#include <filesystem>

#include "imitation/archive_file.h"
#include "common/errors.h"

namespace lbb::imitation {

namespace {

constexpr int64_t kPolicyFileVersion = 1;

std::string key_of(std::string name) {
  for (char& c : name)
    if (c == '.') c = '_';
  return "p_" + name;
}

}  // namespace

void save_policy(const std::string& path, Policy& policy, const std::string& env, const std::string& info) {
  torch::serialize::OutputArchive ar;
  const EnvSpec spec = make_env(env)->spec();
  ar.write("format", c10::IValue(std::string("imitate-policy")));
  ar.write("version", c10::IValue(kPolicyFileVersion));
  ar.write("env", c10::IValue(env));
  ar.write("kind", c10::IValue(policy.kind()));
  ar.write("obs_dim", c10::IValue(spec.obs_dim));
  ar.write("actions", c10::IValue(spec.discrete() ? spec.num_actions : spec.action_dim));
  ar.write("hidden", torch::tensor(policy.net()->hidden(), torch::kInt64), /*is_buffer=*/true);
  for (const auto& p : policy.named_parameters()) ar.write(key_of(p.key()), p.value().detach(), /*is_buffer=*/true);
  ar.write("obs_count", torch::tensor(policy.normalizer.count(), torch::kFloat64), true);
  ar.write("obs_mean", policy.normalizer.mean(), true);
  ar.write("obs_var", policy.normalizer.var(), true);
  ar.write("info", c10::IValue(info));
  save_archive_atomic(ar, path, "the policy file");
}

LoadedPolicy load_policy(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path + ": no such file");
  LoadedPolicy out;
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(path);
    c10::IValue v;
    if (!ar.try_read("format", v) || !v.isString() || v.toStringRef() != "imitate-policy")
      throw InputError(path + ": not an imitate policy file");
    ar.read("version", v);
    if (v.toInt() != kPolicyFileVersion)
      throw InputError(path + ": policy file version " + std::to_string(v.toInt()) + " (this build reads " +
                       std::to_string(kPolicyFileVersion) + ")");
    ar.read("env", v);
    out.env = v.toStringRef();
    const EnvSpec spec = make_env(out.env)->spec();
    ar.read("kind", v);
    const std::string kind = v.toStringRef();
    ar.read("obs_dim", v);
    const int64_t obs_dim = v.toInt();
    ar.read("actions", v);
    const int64_t actions = v.toInt();
    if (obs_dim != spec.obs_dim || actions != (spec.discrete() ? spec.num_actions : spec.action_dim) ||
        kind != (spec.discrete() ? "softmax" : "gaussian"))
      throw InputError(path + ": the policy does not fit environment " + out.env);
    torch::Tensor hidden_t;
    ar.read("hidden", hidden_t, true);
    std::vector<int64_t> hidden(hidden_t.data_ptr<int64_t>(), hidden_t.data_ptr<int64_t>() + hidden_t.numel());
    Rng rng(0);  // the initialization is overwritten below
    out.policy = make_policy(spec, rng, hidden);
    torch::NoGradGuard no_grad;
    for (auto& p : out.policy->named_parameters()) {
      torch::Tensor t;
      ar.read(key_of(p.key()), t, true);
      if (t.sizes() != p.value().sizes() || t.scalar_type() != torch::kFloat64)
        throw InputError(path + ": parameter " + p.key() + " has the wrong shape or type");
      p.value().copy_(t);
    }
    torch::Tensor count, mean, var;
    ar.read("obs_count", count, true);
    ar.read("obs_mean", mean, true);
    ar.read("obs_var", var, true);
    if (mean.numel() != obs_dim || var.numel() != obs_dim) throw InputError(path + ": bad normalizer statistics");
    out.policy->normalizer.set(count.item<double>(), mean, var);
    if (ar.try_read("info", v) && v.isString()) out.info = v.toStringRef();
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    throw InputError(path + ": not a readable imitate policy file (" + what + ")");
  }
  return out;
}

namespace {
void fnv_bytes(uint64_t& h, const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kFloat64).contiguous();
  const auto* p = static_cast<const unsigned char*>(c.data_ptr());
  for (size_t k = 0, n = static_cast<size_t>(c.numel()) * sizeof(double); k < n; ++k) {
    h ^= p[k];
    h *= 1099511628211ull;
  }
}
}  // namespace

uint64_t policy_hash(Policy& policy) {
  uint64_t h = 14695981039346656037ull;
  for (const auto& p : policy.named_parameters()) fnv_bytes(h, p.value());
  fnv_bytes(h, torch::tensor({policy.normalizer.count()}, torch::kFloat64));
  if (policy.normalizer.mean().defined()) fnv_bytes(h, policy.normalizer.mean());
  if (policy.normalizer.var().defined()) fnv_bytes(h, policy.normalizer.var());
  return h;
}

}  // namespace lbb::imitation
