// OpenBLAS picks its kernels by CPU model when it is loaded. A release older than the CPU
// (Debian 12's 0.3.21 on an Emerald Rapids Xeon) does not know the model and falls back to its
// SSE3 "Prescott" kernels: sgemm at a quarter of the machine, TRPO iterations 2x slower. The
// variable OPENBLAS_CORETYPE, read when OpenBLAS is loaded, names the kernels to use instead.
// A user's own OPENBLAS_CORETYPE is always kept.
#pragma once

#include <string>

namespace lbb {

// The widest kernels this CPU runs: "SkylakeX" (AVX-512 F/CD/BW/DQ/VL), "Haswell" (AVX2 + FMA),
// or "" (let OpenBLAS decide).
std::string widest_openblas_kernels();

// The kernels an OpenBLAS runs (openblas_get_corename), looked up in `handle` (a dlopen
// handle, or RTLD_DEFAULT for the OpenBLAS this process loaded at start-up); "" without one.
std::string openblas_core_name(void* handle);

// Before OpenBLAS is loaded (dlopen): sets OPENBLAS_CORETYPE to widest_openblas_kernels()
// unless the environment has it (with any value).
void choose_openblas_kernels();

// For programs that load OpenBLAS at start-up (through LibTorch): if the loaded OpenBLAS runs
// its generic Prescott kernels, OPENBLAS_CORETYPE is unset and this CPU has wider kernels, sets
// it and runs the program again with the same arguments (execv of /proc/self/exe: the second
// run finds the variable set, so at most once); otherwise, or if that fails, returns.
void rerun_with_openblas_kernels(char** argv);

}  // namespace lbb
