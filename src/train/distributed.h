// Data-parallel training over c10d with Gloo (DESIGN.md §11), torchrun's conventions:
// RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (default 29500), GLOO_SOCKET_IFNAME
// for the network interface, TORCHELASTIC_USE_AGENT_STORE=True when torchrun's agent serves
// the store (every rank is then its client; otherwise rank 0 serves it).
//
// Contracts:
//  1. One timeout (LBB_DIST_TIMEOUT seconds, default 300) bounds the rendezvous and every
//     collective; a dead or hung peer makes the call throw DistributedError naming this rank
//     within it.
//  2. broadcast() and average_gradients() move one flat float32 buffer each (one collective),
//     so every rank ends a step with the same parameters bit for bit.
//  3. Without WORLD_SIZE (or WORLD_SIZE=1) from_environment() returns world_size 1 and nothing
//     here is used.
#pragma once

#include <torch/types.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace lbb {

class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DistributedEnv {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool agent_store = false;   // torchrun's agent serves the store
  std::string interface;      // GLOO_SOCKET_IFNAME; empty: the default device
  std::chrono::milliseconds timeout{300000};
  bool active() const { return world_size > 1; }
  // Reads the variables above; throws lbb::InputError for malformed or inconsistent values.
  static DistributedEnv from_environment();
};

class DataParallel {
 public:
  // Rendezvous and the process group (contract 1).
  explicit DataParallel(const DistributedEnv& env);
  ~DataParallel();
  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  // Every rank gets rank 0's tensors (in place); throws DistributedError if the ranks' total
  // sizes differ (another config on some rank).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  // grad <- (sum over ranks of grad) / world_size, for every parameter with a gradient.
  void average_gradients(const std::vector<torch::Tensor>& params);
  // The sum of x over ranks (progress lines: loss, throughput).
  double sum(double x);

 private:
  struct Group;
  DistributedEnv env_;
  std::unique_ptr<Group> group_;
  [[noreturn]] void fail(const std::string& what, const std::exception& e) const;
};

}  // namespace lbb
