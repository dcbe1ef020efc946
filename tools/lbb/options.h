// The numeric options of the lbb CLIs, checked in one place with one message:
//   "--NAME: VALUE is not in [LO, HI]"   (NaN and values that do not parse never are).
#pragma once

#include <CLI/CLI.hpp>

namespace lbb {

// Any number in [lo, hi].
CLI::Validator in_range(double lo, double hi);
// An integer in [lo, hi].
CLI::Validator integer_in_range(double lo, double hi);
// --threads: 0 (all cores) or 1 .. max_threads().
CLI::Validator thread_count();
// 4 × the machine's hardware threads (at least 4): more threads than that only cost memory.
int max_threads();

// What `lbb` does with a CLI11 parse error: help and --version as CLI11 prints them (status 0);
// anything else as one line "lbb: error: MESSAGE" on stderr, status 2 (a usage error).
int exit_on_parse_error(CLI::App& app, const CLI::ParseError& e);

}  // namespace lbb
