#include "train/distributed.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>

#include "common/errors.h"

namespace lbb {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

int int_env(const char* name, int fallback, int lo, int hi) {
  const std::string s = env_or(name, "");
  if (s.empty()) return fallback;
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (*end != '\0' || v < lo || v > hi)
    throw InputError(std::string(name) + "=" + s + " is not an integer in " + std::to_string(lo) + ".." +
                     std::to_string(hi));
  return static_cast<int>(v);
}

// The first line of a c10d / Gloo message (they can span several).
std::string first_line(const char* what) {
  std::string s(what);
  return s.substr(0, s.find('\n'));
}

}  // namespace

DistributedEnv DistributedEnv::from_environment() {
  DistributedEnv e;
  e.world_size = int_env("WORLD_SIZE", 1, 1, 1 << 16);
  if (e.world_size == 1) return e;
  e.rank = int_env("RANK", -1, 0, e.world_size - 1);
  if (e.rank < 0) throw InputError("WORLD_SIZE=" + std::to_string(e.world_size) + " needs RANK");
  e.local_rank = int_env("LOCAL_RANK", 0, 0, 1 << 16);
  e.master_addr = env_or("MASTER_ADDR", "127.0.0.1");
  e.master_port = int_env("MASTER_PORT", 29500, 1, 65535);
  e.agent_store = env_or("TORCHELASTIC_USE_AGENT_STORE", "") == "True";
  e.interface = env_or("GLOO_SOCKET_IFNAME", "");
  e.timeout = std::chrono::milliseconds(1000L * int_env("LBB_DIST_TIMEOUT", 300, 1, 86400));
  return e;
}

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
};

void DataParallel::fail(const std::string& what, const std::exception& e) const {
  throw DistributedError("rank " + std::to_string(env_.rank) + " of " + std::to_string(env_.world_size) + ": " +
                         what + " failed (a peer died, hung or was started differently): " + first_line(e.what()));
}

DataParallel::DataParallel(const DistributedEnv& env) : env_(env), group_(std::make_unique<Group>()) {
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(env.master_port);
    so.isServer = env.rank == 0 && !env.agent_store;
    so.numWorkers = env.agent_store ? c10::nullopt : c10::optional<std::size_t>(env.world_size);
    so.waitWorkers = !env.agent_store;
    so.timeout = env.timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    group_->store = c10::make_intrusive<c10d::PrefixStore>("lbb-train", tcp);
    auto options = c10d::ProcessGroupGloo::Options::create(env.timeout);
    options->devices.push_back(env.interface.empty()
                                   ? c10d::ProcessGroupGloo::createDefaultDevice()
                                   : c10d::ProcessGroupGloo::createDeviceForInterface(env.interface));
    group_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, env.rank, env.world_size, options);
  } catch (const std::exception& e) {
    fail("rendezvous at " + env.master_addr + ":" + std::to_string(env.master_port), e);
  }
}

DataParallel::~DataParallel() = default;

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flat_parts;
  for (const auto& t : tensors) flat_parts.push_back(t.detach().reshape(-1).to(torch::kFloat64));
  torch::Tensor flat = torch::cat(flat_parts);
  // Equal sizes on every rank: max and min of the size agree.
  torch::Tensor size = torch::tensor({static_cast<double>(flat.numel()), -static_cast<double>(flat.numel())},
                                     torch::kFloat64);
  std::vector<torch::Tensor> buf{size};
  try {
    c10d::AllreduceOptions mx;
    mx.reduceOp = c10d::ReduceOp::MAX;
    group_->pg->allreduce(buf, mx)->wait();
  } catch (const std::exception& e) {
    fail("checking the parameters' size", e);
  }
  if (size[0].item<double>() != -size[1].item<double>())
    throw DistributedError("rank " + std::to_string(env_.rank) + ": the ranks' models differ in size (" +
                           std::to_string(flat.numel()) + " values here; the same --config on every rank?)");
  std::vector<torch::Tensor> fb{flat};
  try {
    group_->pg->broadcast(fb)->wait();
  } catch (const std::exception& e) {
    fail("broadcasting the parameters", e);
  }
  int64_t at = 0;
  for (const auto& t : tensors) {
    t.detach().copy_(flat.slice(0, at, at + t.numel()).view(t.sizes()).to(t.scalar_type()));
    at += t.numel();
  }
}

void DataParallel::average_gradients(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (const auto& p : params)
    if (p.grad().defined()) parts.push_back(p.grad().reshape(-1));
  if (parts.empty()) return;
  torch::Tensor flat = torch::cat(parts);
  std::vector<torch::Tensor> buf{flat};
  try {
    group_->pg->allreduce(buf)->wait();
  } catch (const std::exception& e) {
    fail("the gradient all-reduce", e);
  }
  flat.div_(static_cast<double>(env_.world_size));
  int64_t at = 0;
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    p.grad().copy_(flat.slice(0, at, at + p.grad().numel()).view_as(p.grad()));
    at += p.grad().numel();
  }
}

double DataParallel::sum(double x) {
  std::vector<torch::Tensor> buf{torch::tensor({x}, torch::kFloat64)};
  try {
    group_->pg->allreduce(buf)->wait();
  } catch (const std::exception& e) {
    fail("an all-reduce of the progress figures", e);
  }
  return buf[0][0].item<double>();
}

}  // namespace lbb
