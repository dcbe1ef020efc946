#include "imitation/torch_setup.h"

#include <dlfcn.h>
#include <malloc.h>
#include <torch/torch.h>

namespace lbb::imitation {

void use_one_thread() {
  torch::set_num_threads(1);
  using SetThreads = void (*)(int);
  if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(1);
  // The tensors of a 50,000-step batch are megabytes each and made anew many times per
  // iteration; glibc would map and unmap every one (a third of a MuJoCo iteration went to
  // page faults). Keep freed blocks up to glibc's largest threshold (32 MB) in the heap.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace lbb::imitation
