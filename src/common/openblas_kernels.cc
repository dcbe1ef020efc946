#include "common/openblas_kernels.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

namespace lbb {

std::string widest_openblas_kernels() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return "";
}

std::string openblas_core_name(void* handle) {
  using CoreName = char* (*)();
  const auto core_name = reinterpret_cast<CoreName>(dlsym(handle, "openblas_get_corename"));
  const char* core = core_name ? core_name() : nullptr;
  return core ? core : "";
}

void choose_openblas_kernels() {
  if (std::getenv("OPENBLAS_CORETYPE")) return;
  const std::string kernels = widest_openblas_kernels();
  if (!kernels.empty()) setenv("OPENBLAS_CORETYPE", kernels.c_str(), 0);
}

void rerun_with_openblas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE")) return;
  if (openblas_core_name(RTLD_DEFAULT) != "Prescott") return;  // also: no OpenBLAS in this process
  const std::string kernels = widest_openblas_kernels();
  if (kernels.empty()) return;
  setenv("OPENBLAS_CORETYPE", kernels.c_str(), 1);
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // execv failed: go on as we are
}

}  // namespace lbb
