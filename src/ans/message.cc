#include "ans/message.h"

#include <cmath>
#include <sstream>

#include "common/assert.h"
#include "common/crc.h"
#include "common/varint.h"

namespace lbb {

namespace {
// Initial head: 2^95 plus 95 fixed pseudo-random bits, so that a bits-back pop from a fresh
// message draws from a random-looking slot instead of slot 0 (which would select the lowest bin).
constexpr u128 kInitialHead =
    ans::kLower | (u128{0x3C6EF372u} << 64) | u128{0xA54FF53A5F1D36F1ull};

// Serialised form (all integers little-endian):
//   byte 0      : kTag (format version of the message encoding)
//   LEB128      : borrowed (common/varint.h: ≤ 10 bytes, canonical)
//   16 bytes    : head (low word first)
//   4·N bytes   : the word stack (32-bit words), bottom first
//   4 bytes     : CRC-32C of everything before it
constexpr uint8_t kTag = 0xA1;
constexpr size_t kCrcBytes = 4;

void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

[[noreturn]] void fail(const std::string& why) {
  throw MessageFormatError("Message::from_bytes: " + why);
}

}  // namespace

Message::Message() : head_(kInitialHead) {}

ans::Word Message::borrow_word() {
  ++borrowed_;
  if (borrowed_ > max_borrowed_) max_borrowed_ = borrowed_;
  return ans::aux_word(borrowed_);
}

void Message::begin_trial() {
  if (in_trial_) throw std::logic_error("Message::begin_trial: a trial is already running");
  in_trial_ = true;
  trial_depth_ = words_.size();
  trial_lost_.clear();
  trial_head_ = head_;
  trial_borrowed_ = borrowed_;
  trial_max_borrowed_ = max_borrowed_;
}

void Message::rollback() {
  if (!in_trial_) throw std::logic_error("Message::rollback: no trial is running");
  // The stack never went below trial_depth_ since, so the words there are the original ones.
  words_.resize(trial_depth_);
  words_.insert(words_.end(), trial_lost_.rbegin(), trial_lost_.rend());
  head_ = trial_head_;
  borrowed_ = trial_borrowed_;
  max_borrowed_ = trial_max_borrowed_;
  commit();
}

void Message::commit() {
  if (!in_trial_) throw std::logic_error("Message::commit: no trial is running");
  in_trial_ = false;
  trial_depth_ = 0;
  trial_lost_.clear();
}

void Message::throw_bad_push(uint64_t start, uint64_t freq) {
  std::ostringstream os;
  os << "Message::push: invalid interval start=" << start << " freq=" << freq
     << " (need 1 <= freq <= 2^63 and start + freq <= 2^63)";
  throw CodingError(os.str());
}

void Message::throw_bad_pop(uint64_t start, uint64_t freq) {
  std::ostringstream os;
  os << "Message::pop: interval start=" << start << " freq=" << freq
     << " does not contain the slot (the model's find() and interval() disagree)";
  throw CodingError(os.str());
}

double Message::bits() const {
  const double hi = static_cast<double>(static_cast<uint64_t>(head_ >> 64));
  const double lo = static_cast<double>(static_cast<uint64_t>(head_));
  const double h = hi * 18446744073709551616.0 + lo;
  const double w = static_cast<double>(words_.size()) - static_cast<double>(borrowed_);
  return 32.0 * w + std::log2(h);
}

std::vector<uint8_t> Message::to_bytes() const {
  LBB_ASSERT(head_ >= ans::kLower && (head_ >> 127) == 0);  // head_ ∈ [2^95, 2^127)
  LBB_ASSERT(max_borrowed_ >= borrowed_);
  std::vector<uint8_t> out;
  out.reserve(1 + 10 + 16 + 4 * words_.size() + kCrcBytes);
  out.push_back(kTag);
  put_varint(out, borrowed_);
  put_u64(out, static_cast<uint64_t>(head_));
  put_u64(out, static_cast<uint64_t>(head_ >> 64));
  for (ans::Word w : words_)
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(w >> (8 * i)));
  const uint32_t crc = crc32c(out.data(), out.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  return out;
}

Message Message::from_bytes(const uint8_t* data, size_t size) {
  if (size < 1 + 1 + 16 + kCrcBytes || data == nullptr) fail("input too short (truncated?)");
  if (data[0] != kTag) fail("unknown message tag");
  // CRC first: any corruption of the body is reported as such.
  const size_t body = size - kCrcBytes;
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= uint32_t{data[body + i]} << (8 * i);
  if (crc32c(data, body) != stored) fail("checksum mismatch (corrupt or truncated input)");

  size_t pos = 1;
  uint64_t borrowed = 0;
  switch (get_varint(data, body, &pos, &borrowed)) {
    case VarintStatus::kOk: break;
    case VarintStatus::kTruncated: fail("truncated borrow counter");
    case VarintStatus::kNonCanonical: fail("non-canonical borrow counter");
    case VarintStatus::kOverflow: fail("borrow counter overflows 64 bits");
    case VarintStatus::kTooLong: fail("borrow counter too long");
  }
  if (body - pos < 16) fail("truncated head");
  const uint64_t lo = get_u64(data + pos);
  const uint64_t hi = get_u64(data + pos + 8);
  pos += 16;
  const u128 head = (u128{hi} << 64) | lo;
  if (head < ans::kLower || (head >> 127) != 0) fail("head outside [2^95, 2^127)");
  if ((body - pos) % 4 != 0) fail("word stack length is not a multiple of 4 bytes");

  Message m;
  m.head_ = head;
  m.borrowed_ = borrowed;
  m.max_borrowed_ = borrowed;
  m.words_.resize((body - pos) / 4);
  for (size_t i = 0; i < m.words_.size(); ++i) {
    const uint8_t* p = data + pos + 4 * i;
    m.words_[i] = static_cast<ans::Word>(p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t{p[3]} << 24));
  }
  return m;
}

}  // namespace lbb
