// Behavioral cloning (thesis section 2.6, baseline 1): maximum likelihood of the expert's
// actions, -mean log pi(a|s), on a 70 % / 30 % train / validation split of the
// state-action pairs; Adam with minibatches of 128 (the whole training set if smaller);
// the validation loss is measured every eval_every steps and the best snapshot is kept;
// training stops when it has not improved for `patience` measurements ("until validation
// error stops decreasing"), or after max_steps. Observations are standardized with the
// training pairs' statistics.
#pragma once

#include <memory>

#include "imitation/demonstrations.h"
#include "imitation/policy.h"

namespace lbb::imitation {

struct BcOptions {
  uint64_t seed = 0;
  double train_fraction = 0.7;
  int64_t batch = 128;
  double lr = 1e-3;
  int64_t max_steps = 10000;
  int64_t eval_every = 10;
  int64_t patience = 50;  // 0: never stop early (the author's MuJoCo BC: max_steps 20001)
  std::vector<int64_t> hidden{100, 100};
};

struct BcResult {
  std::shared_ptr<Policy> policy;  // the best validation snapshot
  double best_validation_loss = 0;
  int64_t best_step = 0, steps = 0;
  int64_t train_pairs = 0, validation_pairs = 0;
};

// Needs at least 2 state-action pairs (one for each side of the split).
BcResult behavioral_cloning(const Demonstrations& demos, const BcOptions& options);

}  // namespace lbb::imitation
