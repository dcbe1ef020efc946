// LBB_ASSERT(cond): states an invariant and checks it where checks cost nothing that matters —
// in the sanitizer (LBB_SANITIZE) and fuzz (LBB_BUILD_FUZZ) builds, which define LBB_ASSERTIONS.
// Elsewhere it compiles to nothing and does not evaluate `cond`.
//
// For the program's own invariants only: untrusted input (files, messages) is checked with
// errors that are always on (common/errors.h), never with LBB_ASSERT.
#pragma once

#if defined(LBB_ASSERTIONS)
#include <cstdio>
#include <cstdlib>

namespace lbb {
[[noreturn]] inline void assertion_failed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: LBB_ASSERT(%s) failed\n", file, line, cond);
  std::abort();
}
}  // namespace lbb

#define LBB_ASSERT(cond) ((cond) ? static_cast<void>(0) : ::lbb::assertion_failed(#cond, __FILE__, __LINE__))
#else
#define LBB_ASSERT(cond) static_cast<void>(sizeof(!(cond)))
#endif
