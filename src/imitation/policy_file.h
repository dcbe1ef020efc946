// Policy files (`imitate expert --out expert.pt`): a LibTorch serialized archive
// (torch::serialize, the format of torch::save; a zip of pickled records) holding
//   format   string "imitate-policy", version int 1
//   env      string, the environment name (make_env)
//   kind     string "softmax" | "gaussian";  obs_dim, actions (num_actions or action_dim) int
//   hidden   int64 tensor [layers], the hidden widths
//   p_<name> float64 tensors, the policy's parameters ("." in names written as "_")
//   obs_count float64 scalar, obs_mean / obs_var float64 [obs_dim]: the normalizer
//   info     string, free-form provenance (seed, iterations, returns)
// Weights are stored exactly (float64), so a loaded policy acts as the saved one bit for bit.
#pragma once

#include <memory>
#include <string>

#include "imitation/policy.h"

namespace lbb::imitation {

struct LoadedPolicy {
  std::string env;
  std::string info;
  std::shared_ptr<Policy> policy;
};

// Writes atomically (temporary + rename); throws lbb::IoError on failure.
void save_policy(const std::string& path, Policy& policy, const std::string& env, const std::string& info);
// Throws lbb::InputError("<path>: <problem>") for a missing, foreign or damaged file.
LoadedPolicy load_policy(const std::string& path);

// FNV-1a over the bytes of every parameter (in named_parameters() order) and of the
// normalizer's state: equal for bit-identical policies (a run's fingerprint, as the files
// themselves are not byte-identical between runs).
uint64_t policy_hash(Policy& policy);

}  // namespace lbb::imitation
