// Zeroed memory whose pages the kernel provides when they are first written (an anonymous
// private mapping), so that a buffer sized by what a file declares costs resident memory only
// for what has been decoded into it (the decoder's bound: docs/container_format.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lbb {

class LazyBytes {
 public:
  LazyBytes() = default;
  // n zero bytes; throws std::bad_alloc if the address space cannot be reserved.
  explicit LazyBytes(size_t n);
  LazyBytes(LazyBytes&& o) noexcept;
  LazyBytes& operator=(LazyBytes&& o) noexcept;
  LazyBytes(const LazyBytes&) = delete;
  LazyBytes& operator=(const LazyBytes&) = delete;
  ~LazyBytes();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Moves the bytes into `out` (replacing its contents) chunk by chunk, returning each copied
  // chunk's pages to the kernel, so the peak stays near one copy; leaves this empty.
  void move_into(std::vector<uint8_t>* out);

 private:
  void release();
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace lbb
