#include "imitation/torch_setup.h"

#include <dlfcn.h>
#include <torch/torch.h>

namespace lbb::imitation {

void use_one_thread() {
  torch::set_num_threads(1);
  using SetThreads = void (*)(int);
  if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(1);
}

}  // namespace lbb::imitation
