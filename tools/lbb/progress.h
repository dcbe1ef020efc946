// A one-line progress bar on stderr, drawn only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace lbb {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  ~ProgressBar();                 // finishes the line if anything was drawn
  void update(int64_t done);      // redraws at most ~10 times a second
  static bool enabled();          // stderr is a terminal

 private:
  std::string label_;
  int64_t total_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace lbb
