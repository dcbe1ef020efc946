#include "common/lazy_bytes.h"

#include <sys/mman.h>

#include <algorithm>
#include <new>

namespace lbb {

LazyBytes::LazyBytes(size_t n) : size_(n) {
  if (n == 0) return;
  void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  data_ = static_cast<uint8_t*>(p);
}

LazyBytes::LazyBytes(LazyBytes&& o) noexcept : data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

LazyBytes& LazyBytes::operator=(LazyBytes&& o) noexcept {
  if (this != &o) {
    release();
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
  }
  return *this;
}

LazyBytes::~LazyBytes() { release(); }

void LazyBytes::release() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

void LazyBytes::move_into(std::vector<uint8_t>* out) {
  constexpr size_t kChunk = size_t{1} << 22;  // a multiple of every page size
  out->clear();
  out->reserve(size_);
  for (size_t at = 0; at < size_; at += kChunk) {
    const size_t n = std::min(kChunk, size_ - at);
    out->insert(out->end(), data_ + at, data_ + at + n);
    if (n == kChunk) ::madvise(data_ + at, n, MADV_DONTNEED);
  }
  release();
}

}  // namespace lbb
