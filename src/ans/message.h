// rANS message with stack semantics (the "ANS" of BB-ANS / local bits-back, thesis §3.5.2).
//
// Sizes (see docs/entropy_coding.md):
//   state (head)  x : unsigned 128-bit, invariant x ∈ [L, L·2^32) = [2^95, 2^127)
//   word            : 32 bits, the unit moved between head and stack (b = 2^32)
//   precision       : every distribution is given as integer masses summing to M = 2^63,
//                     so a single bin may get any mass in [1, 2^63] and a range of up to 2^62
//                     bins can give every bin a nonzero mass (the thesis coder needed 2^41).
// Why these numbers: L/M·b = 2^64, so after renormalisation x < freq·2^64 and the push quotient
// x/freq fits in 64 bits (one 128/64 division); and L/M = 2^32, so x/freq ≥ 2^32 and the coding
// redundancy of rANS (≈ freq/x per symbol) is below 2^-31 bits.  At most two words move per
// push or pop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace lbb {

using u128 = unsigned __int128;

// Thrown by Message::from_bytes (and the stream container) on malformed input.
class MessageFormatError : public std::runtime_error {
 public:
  explicit MessageFormatError(const std::string& what) : std::runtime_error(what) {}
};

// Thrown when push/pop receive an interval that violates the contract below (a model bug).
class CodingError : public std::logic_error {
 public:
  explicit CodingError(const std::string& what) : std::logic_error(what) {}
};

namespace ans {
inline constexpr int kPrecisionBits = 63;                       // masses are in units of 2^-63
inline constexpr uint64_t kTotal = uint64_t{1} << kPrecisionBits;  // Σ masses of a distribution
inline constexpr uint64_t kSlotMask = kTotal - 1;
inline constexpr u128 kLower = u128{1} << 95;                   // L; head ∈ [L, L·2^32)
inline constexpr int kWordBits = 32;
using Word = uint32_t;

// q = (hi·2^64 + lo) / d, *r = remainder.  Precondition: hi < d (so q < 2^64).
inline uint64_t div_128_by_64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t* r) {
#if defined(__x86_64__) && !defined(LBB_NO_INLINE_ASM)
  uint64_t q, rem;
  __asm__("divq %4" : "=a"(q), "=d"(rem) : "a"(lo), "d"(hi), "rm"(d) : "cc");
  *r = rem;
  return q;
#else
  const u128 x = (u128{hi} << 64) | lo;
  *r = static_cast<uint64_t>(x % d);
  return static_cast<uint64_t>(x / d);
#endif
}

// Deterministic pseudo-random words that lie "below the bottom" of every message: the word at
// depth k (k = 1 is the first word borrowed) is aux_word(k).  Using pseudo-random rather than
// zero words makes bits-back pops from an exhausted message behave like pops from random bits.
inline Word aux_word(uint64_t depth) {
  uint64_t z = depth * 0x9E3779B97F4A7C15ull + 0x6A09E667F3BCC909ull;  // splitmix64
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<Word>((z ^ (z >> 31)) >> 32);
}
}  // namespace ans

// A message: the head x plus a stack of 32-bit words, conceptually resting on an infinite
// stack of aux words (ans::aux_word(1), aux_word(2), ... downwards).
//
// Contracts (numbered as in docs/entropy_coding.md):
//  (M1) push(start, freq) requires 1 ≤ freq ≤ 2^63 and start + freq ≤ 2^63; otherwise it throws
//       CodingError and leaves the message unchanged.
//  (M2) pop is two-phase: s = peek() ∈ [0, 2^63); the model finds the interval [start,
//       start+freq) ∋ s and calls pop(start, freq), which throws CodingError (message unchanged)
//       unless start ≤ s < start + freq.  pop(start,freq) after push(start,freq) restores the
//       message exactly (head, words and borrow counter), and vice versa.
//  (M3) Popping below the bottom is defined: the missing words are taken from the aux stack and
//       counted in borrowed(); max_borrowed() is the most ever borrowed at once.  A push that
//       gives back exactly the aux word just borrowed decrements borrowed(), so a decoder that
//       pushes everything back ends with a message equal (operator==, to_bytes) to the initial one.
//  (M4) bits() = 32·(words() − borrowed()) + log2(head): changes by exactly −log2(freq/2^63)
//       on push and by +log2(freq/2^63) on pop (up to double rounding), so net codelengths are
//       bits_after − bits_before.
//  (M5) from_bytes(to_bytes(m)) == m; from_bytes throws MessageFormatError on any input that
//       is not the output of to_bytes (wrong length, tag, head out of range, bad checksum).
//  (M6) Trials: after begin_trial(), any pushes and pops followed by rollback() leave the message
//       exactly as it was at begin_trial() (operator==, to_bytes, max_borrowed); commit() keeps
//       them.  A trial costs one word of memory per word it pops from below its starting depth.
//       One trial at a time: begin_trial() during a trial, or rollback()/commit() outside one,
//       throws std::logic_error.
class Message {
 public:
  // The initial message: head = 2^95 + (fixed pseudo-random 95 bits), no words, nothing borrowed.
  Message();

  // --- the coding interface (hot path, inline) ---
  void push(uint64_t start, uint64_t freq) {
    if (freq - 1 >= ans::kTotal || start > ans::kTotal - freq) throw_bad_push(start, freq);
    // Renormalise into [freq·2^32, freq·2^64): the quotient then fits in 64 bits and is ≥ 2^32,
    // so the new head ⌊x/f⌋·2^63 + (x mod f) + start lies in [2^95, 2^127).  x < 2^127 and
    // freq ≥ 1, so at most two words move.
    const u128 x_max = u128{freq} << 64;
    while (head_ >= x_max) {
      push_word(static_cast<ans::Word>(head_));
      head_ >>= ans::kWordBits;
    }
    uint64_t r;
    const uint64_t q = ans::div_128_by_64(static_cast<uint64_t>(head_ >> 64),
                                          static_cast<uint64_t>(head_), freq, &r);
    // rANS encode: x' = ⌊x/f⌋·M + (x mod f) + start.
    head_ = (u128{q} << ans::kPrecisionBits) + (r + start);
  }

  // The slot s = x mod 2^63 that selects the symbol to pop.
  uint64_t peek() const { return static_cast<uint64_t>(head_) & ans::kSlotMask; }

  void pop(uint64_t start, uint64_t freq) {
    const uint64_t s = peek();
    if (freq - 1 >= ans::kTotal || start > s || s - start >= freq) throw_bad_pop(start, freq);
    // rANS decode: x' = f·⌊x/M⌋ + (s − start) ∈ [f·2^32, 2^127), then read words back into
    // [2^95, 2^127) (at most two, since x' ≥ 2^32).
    head_ = u128{freq} * static_cast<uint64_t>(head_ >> ans::kPrecisionBits) + (s - start);
    while (head_ < ans::kLower) head_ = (head_ << ans::kWordBits) | pop_word();
  }

  // --- trials (M6): try a coding and take it back if it is not wanted ---
  void begin_trial();
  void rollback();
  void commit();

  // --- inspection ---
  double bits() const;                       // (M4)
  size_t words() const { return words_.size(); }
  uint64_t borrowed() const { return borrowed_; }
  uint64_t max_borrowed() const { return max_borrowed_; }
  u128 head() const { return head_; }

  void reserve_words(size_t n) { words_.reserve(n); }

  // --- flattening (M5) ---
  std::vector<uint8_t> to_bytes() const;
  static Message from_bytes(const uint8_t* data, size_t size);
  static Message from_bytes(const std::vector<uint8_t>& b) { return from_bytes(b.data(), b.size()); }

  // Content equality: head, words and borrow counter (max_borrowed is a statistic, not content).
  friend bool operator==(const Message& a, const Message& b) {
    return a.head_ == b.head_ && a.borrowed_ == b.borrowed_ && a.words_ == b.words_;
  }
  friend bool operator!=(const Message& a, const Message& b) { return !(a == b); }

 private:
  void push_word(ans::Word w) {
    if (words_.empty() && borrowed_ > 0 && w == ans::aux_word(borrowed_)) {
      --borrowed_;  // (M3) the word borrowed last is given back
      return;
    }
    words_.push_back(w);
  }
  ans::Word pop_word() {
    if (!words_.empty()) {
      const ans::Word w = words_.back();
      words_.pop_back();
      if (words_.size() < trial_depth_) {  // (M6) a word the trial found on the stack
        trial_lost_.push_back(w);
        trial_depth_ = words_.size();
      }
      return w;
    }
    return borrow_word();
  }
  ans::Word borrow_word();
  [[noreturn]] static void throw_bad_push(uint64_t start, uint64_t freq);
  [[noreturn]] static void throw_bad_pop(uint64_t start, uint64_t freq);

  u128 head_;                     // invariant: head_ ∈ [2^95, 2^127)
  std::vector<ans::Word> words_;  // the stack, bottom first; top = back()
  uint64_t borrowed_ = 0;         // aux words currently borrowed from below the bottom (M3)
  uint64_t max_borrowed_ = 0;     // invariant: max_borrowed_ ≥ borrowed_ (high-water mark)

  // The trial (M6).  Words below trial_depth_ are those the stack held at begin_trial(); the
  // words at trial_depth_ and up to the starting depth were popped, and trial_lost_ holds them
  // top first.  Outside a trial trial_depth_ = 0, so pop_word records nothing.
  bool in_trial_ = false;
  size_t trial_depth_ = 0;
  std::vector<ans::Word> trial_lost_;
  u128 trial_head_ = 0;
  uint64_t trial_borrowed_ = 0, trial_max_borrowed_ = 0;
};

}  // namespace lbb
