#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace lbb {

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fprintf(stderr, "\n");
}

bool ProgressBar::enabled() { return isatty(fileno(stderr)); }

void ProgressBar::update(int64_t done) {
  if (!enabled()) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  const double t = std::chrono::duration<double>(now - start_).count();
  const int width = 30;
  const int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
  std::string bar(filled, '=');
  if (filled < width) bar += '>' + std::string(width - filled - 1, ' ');
  const double rate = t > 0 ? done / t : 0;
  const double left = rate > 0 ? (total_ - done) / rate : 0;
  std::fprintf(stderr, "\r%s [%s] %lld/%lld  %.1f/s  ETA %lld:%02lld ", label_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), rate,
               static_cast<long long>(left) / 60, static_cast<long long>(left) % 60);
  std::fflush(stderr);
}

}  // namespace lbb
