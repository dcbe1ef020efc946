// A file descriptor closed when its owner goes out of scope (io's POSIX file handling).
#pragma once

#include <unistd.h>

#include <cerrno>

namespace lbb {

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  // Closes now; returns 0 or the errno of close().
  int close_now() {
    int err = 0;
    if (fd_ >= 0 && ::close(fd_) != 0) err = errno;
    fd_ = -1;
    return err;
  }

 private:
  int fd_;  // -1: none
};

}  // namespace lbb
