// Minimal torch-free arrays for the deterministic flow evaluator (det_net.h, det_flow.h).
//
// Everything in the det_* evaluator works on ONE image at a time, stored planar and
// row-major as [C][H][W] (channel c, row y, column x at index (c·H + y)·W + x) — the same
// element order as a LibTorch tensor [1, C, H, W].  There is no batch dimension anywhere,
// so no result can depend on how images are batched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lbb {

struct DetProfile;  // det_profile.h
class DetTeam;     // det_team.h

// How a convolution accumulates each product w·x (fixed by the container version, DESIGN.md
// §5): kSeparate rounds the product, then the sum (versions ≤ 4); kFused rounds once, a fused
// multiply-add (version 5; det_fused_kernels.h).  Same order of terms either way.
enum class DetProducts : uint8_t { kSeparate, kFused };

// Where a float32 network evaluates its activations (ELU, gate sigmoids, softmax exponentials;
// fixed by the container's flags): kDouble through the double functions, rounded to float once
// (float64 networks always); kFloat32 with det_elementwise.h's float functions.
enum class DetActivations : uint8_t { kDouble, kFloat32 };

// Shape of one image-like array [C, H, W].  invariant: c, h, w >= 0.
struct DetShape {
  int64_t c = 0, h = 0, w = 0;
  int64_t plane() const { return h * w; }
  int64_t size() const { return c * h * w; }
  bool operator==(const DetShape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const DetShape& o) const { return !(*this == o); }
};

// An owning [C, H, W] array.  invariant: data.size() == shape.size().
template <typename T>
struct DetImage {
  DetShape shape;
  std::vector<T> data;

  DetImage() = default;
  explicit DetImage(DetShape s, T fill = T(0)) : shape(s), data(static_cast<size_t>(s.size()), fill) {}
  T* ptr() { return data.data(); }
  const T* ptr() const { return data.data(); }
  T& at(int64_t c, int64_t y, int64_t x) { return data[static_cast<size_t>((c * shape.h + y) * shape.w + x)]; }
  const T& at(int64_t c, int64_t y, int64_t x) const {
    return data[static_cast<size_t>((c * shape.h + y) * shape.w + x)];
  }
};

// Scratch memory of one worker (thread).  Buffers are handed out in stack order and reused
// on later calls, so that after the first image no evaluation allocates.  A DetScratch is
// not thread-safe: give every thread its own.
//   size_t m = s.mark();  T* a = s.take<T>(n);  ...;  s.release(m);
// take() returns memory that is NOT zeroed, aligned to 64 bytes, with at least
// kDetScratchSlack extra elements readable (and writable) past the end, which the
// convolution kernels use to run whole vector tiles over ragged ends.
constexpr size_t kDetScratchSlack = 64;

class DetScratch {
 public:
  DetScratch() = default;
  DetScratch(const DetScratch&) = delete;
  DetScratch& operator=(const DetScratch&) = delete;
  DetScratch(DetScratch&&) = default;
  DetScratch& operator=(DetScratch&&) = default;

  // If set, the evaluator and the coder add their time by part to it (det_profile.h).
  DetProfile* profile = nullptr;
  // The convolutions' arithmetic for everything evaluated with this scratch.
  DetProducts products = DetProducts::kSeparate;
  DetActivations activations = DetActivations::kDouble;
  // If set, threads that share this scratch's evaluations (never changes a result).  Work
  // handed to them uses memory taken before the split, never take() itself.
  DetTeam* team = nullptr;

  size_t mark() const { return top_; }
  void release(size_t mark) { top_ = mark; }
  template <typename T>
  T* take(size_t n) {
    return static_cast<T*>(take_bytes((n + kDetScratchSlack) * sizeof(T)));
  }

 private:
  void* take_bytes(size_t bytes) {
    const size_t words = (bytes + sizeof(Chunk) - 1) / sizeof(Chunk);
    if (top_ == chunks_.size()) chunks_.emplace_back();
    std::vector<Chunk>& c = chunks_[top_++];
    if (c.size() < words) c.resize(words);
    return c.data();
  }
  struct alignas(64) Chunk {
    unsigned char b[64];
  };
  std::vector<std::vector<Chunk>> chunks_;
  size_t top_ = 0;
};

// RAII frame: releases everything taken inside it.
class DetScratchFrame {
 public:
  explicit DetScratchFrame(DetScratch& s) : s_(s), mark_(s.mark()) {}
  ~DetScratchFrame() { s_.release(mark_); }
  DetScratchFrame(const DetScratchFrame&) = delete;
  DetScratchFrame& operator=(const DetScratchFrame&) = delete;

 private:
  DetScratch& s_;
  size_t mark_;
};

// RAII: evaluates with `products` and `activations` inside the scope, restores the scratch's
// settings after it.
class DetArithmeticScope {
 public:
  DetArithmeticScope(DetScratch& s, DetProducts products, DetActivations activations)
      : s_(s), products_(s.products), activations_(s.activations) {
    s.products = products;
    s.activations = activations;
  }
  ~DetArithmeticScope() {
    s_.products = products_;
    s_.activations = activations_;
  }
  DetArithmeticScope(const DetArithmeticScope&) = delete;
  DetArithmeticScope& operator=(const DetArithmeticScope&) = delete;

 private:
  DetScratch& s_;
  DetProducts products_;
  DetActivations activations_;
};

}  // namespace lbb
