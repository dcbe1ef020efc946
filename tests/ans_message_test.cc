#include "ans/message.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "common/crc.h"

namespace lbb {
namespace {

struct Sym {
  uint64_t start, freq;
};

// Random intervals with a wide range of masses, from 1 to 2^63.
std::vector<Sym> random_intervals(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Sym> out(n);
  for (auto& s : out) {
    const int bits = static_cast<int>(rng() % 64);  // freq ~ 2^bits
    uint64_t freq = bits == 63 ? ans::kTotal : (rng() >> (64 - std::max(bits, 1))) | 1;
    if (freq > ans::kTotal) freq = ans::kTotal;
    const uint64_t start = freq == ans::kTotal ? 0 : rng() % (ans::kTotal - freq + 1);
    s = Sym{start, freq};
  }
  return out;
}

// Pops the symbol whose interval is known, as a model would after find().
void pop_known(Message& m, const Sym& s) {
  const uint64_t slot = m.peek();
  ASSERT_GE(slot, s.start);
  ASSERT_LT(slot - s.start, s.freq);
  m.pop(s.start, s.freq);
}

TEST(AnsMessage, InitialInvariant) {
  Message m;
  EXPECT_GE(m.head(), ans::kLower);
  EXPECT_EQ(m.head() >> 127, 0u);
  EXPECT_EQ(m.words(), 0u);
  EXPECT_EQ(m.borrowed(), 0u);
}

TEST(AnsMessage, PushPopRestoresBitForBit) {
  const auto syms = random_intervals(20000, 1);
  Message m;
  std::vector<Message> snapshots;
  for (size_t i = 0; i < syms.size(); ++i) {
    if (i % 997 == 0) snapshots.push_back(m);
    m.push(syms[i].start, syms[i].freq);
    ASSERT_GE(m.head(), ans::kLower);
    ASSERT_EQ(m.head() >> 127, 0u);
  }
  for (size_t i = syms.size(); i-- > 0;) {
    pop_known(m, syms[i]);
    if (i % 997 == 0) {
      ASSERT_EQ(m, snapshots.back()) << "at symbol " << i;
      snapshots.pop_back();
    }
  }
  EXPECT_EQ(m, Message());
  EXPECT_EQ(m.to_bytes(), Message().to_bytes());
}

TEST(AnsMessage, BitsTrackInformation) {
  const auto syms = random_intervals(5000, 2);
  Message m;
  double expected = 0;
  const double b0 = m.bits();
  for (const auto& s : syms) {
    m.push(s.start, s.freq);
    expected += 63.0 - std::log2(static_cast<double>(s.freq));
  }
  // rANS with L/M = 2^32 wastes < 2^-31 bits per symbol.
  EXPECT_NEAR(m.bits() - b0, expected, 1e-6 * expected + 1e-3);
}

TEST(AnsMessage, FullMassIsIdentity) {
  Message m;
  const Message m0 = m;
  m.push(0, ans::kTotal);
  EXPECT_EQ(m, m0);
  m.pop(0, ans::kTotal);
  EXPECT_EQ(m, m0);
}

TEST(AnsMessage, RejectsInvalidIntervals) {
  Message m;
  const Message m0 = m;
  EXPECT_THROW(m.push(0, 0), CodingError);
  EXPECT_THROW(m.push(0, ans::kTotal + 1), CodingError);
  EXPECT_THROW(m.push(1, ans::kTotal), CodingError);
  EXPECT_THROW(m.push(ans::kTotal, 1), CodingError);
  const uint64_t slot = m.peek();
  EXPECT_THROW(m.pop(slot + 1, 5), CodingError);
  EXPECT_THROW(m.pop(slot > 0 ? slot - 1 : 0, slot > 0 ? 1 : 0), CodingError);
  EXPECT_EQ(m, m0);
}

TEST(AnsMessage, BorrowingIsDefinedAndReversible) {
  // Pop far more than the message holds: words come from the aux stack and are counted.
  Message m;
  const Message m0 = m;
  std::mt19937_64 rng(3);
  std::vector<Sym> popped;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t freq = (rng() >> 24) + 1;  // ~ 2^40 → about 23 bits per pop
    const uint64_t slot = m.peek();
    const uint64_t start = slot - std::min<uint64_t>(slot, rng() % freq);
    const Sym s{start, std::min(freq, ans::kTotal - start)};
    pop_known(m, s);
    popped.push_back(s);
  }
  EXPECT_EQ(m.words(), 0u);
  EXPECT_GT(m.borrowed(), 600u);  // ≈ 1000·23/32
  EXPECT_EQ(m.max_borrowed(), m.borrowed());
  EXPECT_LT(m.bits() - m0.bits(), -20000.0);
  // Serialising a message with borrowed words round-trips too.
  EXPECT_EQ(Message::from_bytes(m.to_bytes()), m);
  const uint64_t max_b = m.max_borrowed();
  for (size_t i = popped.size(); i-- > 0;) m.push(popped[i].start, popped[i].freq);
  EXPECT_EQ(m, m0);
  EXPECT_EQ(m.borrowed(), 0u);
  EXPECT_EQ(m.max_borrowed(), max_b);
  EXPECT_EQ(m.to_bytes(), m0.to_bytes());
}

// A random interval holding the current slot (what a bits-back pop takes).
Sym slot_interval(const Message& m, std::mt19937_64& rng) {
  const uint64_t freq = (rng() >> (1 + rng() % 40)) + 1;
  const uint64_t slot = m.peek();
  const uint64_t start = slot - std::min<uint64_t>(slot, rng() % freq);
  return Sym{start, std::min(freq, ans::kTotal - start)};
}

TEST(AnsMessage, TrialRollbackRestoresExactly) {
  // (M6) Trials that pop below their starting depth (down to borrowing from the aux stack) and
  // push more than they popped are taken back exactly; committed ones stay.
  std::mt19937_64 rng(6);
  for (int round = 0; round < 200; ++round) {
    Message m;
    const int before = static_cast<int>(rng() % 300);
    for (const Sym& s : random_intervals(static_cast<size_t>(before), rng())) m.push(s.start, s.freq);
    for (int i = 0; i < round % 5; ++i) pop_known(m, slot_interval(m, rng));  // may borrow
    const Message m0 = m;
    const uint64_t max0 = m.max_borrowed();
    m.begin_trial();
    const int ops = static_cast<int>(rng() % 2000);
    for (int i = 0; i < ops; ++i) {
      if (rng() % 3 == 0) {
        const Sym s = random_intervals(1, rng())[0];
        m.push(s.start, s.freq);
      } else {
        pop_known(m, slot_interval(m, rng));
      }
    }
    const Message tried = m;
    if (round % 4 == 0) {
      m.commit();
      EXPECT_EQ(m, tried);
      continue;
    }
    m.rollback();
    ASSERT_EQ(m, m0) << "round " << round;
    EXPECT_EQ(m.to_bytes(), m0.to_bytes());
    EXPECT_EQ(m.max_borrowed(), max0);
    // The message goes on as if the trial had never run, and can run the next trial.
    m.begin_trial();
    m.push(1, 2);
    m.rollback();
    EXPECT_EQ(m, m0);
  }
}

TEST(AnsMessage, TrialsAreNotNested) {
  Message m;
  EXPECT_THROW(m.rollback(), std::logic_error);
  EXPECT_THROW(m.commit(), std::logic_error);
  m.begin_trial();
  EXPECT_THROW(m.begin_trial(), std::logic_error);
  m.commit();
  EXPECT_THROW(m.commit(), std::logic_error);
}

TEST(AnsMessage, BorrowedWordsLookRandom) {
  // Aux words are pseudo-random, so a pop from an exhausted message is not stuck at slot 0.
  int high = 0;
  for (uint64_t d = 1; d <= 1000; ++d) high += ans::aux_word(d) >> 31;
  EXPECT_GT(high, 400);
  EXPECT_LT(high, 600);
}

TEST(AnsMessage, BytesRoundTrip) {
  const auto syms = random_intervals(3000, 4);
  Message m;
  for (const auto& s : syms) m.push(s.start, s.freq);
  const auto bytes = m.to_bytes();
  const Message back = Message::from_bytes(bytes);
  EXPECT_EQ(back, m);
  EXPECT_EQ(back.to_bytes(), bytes);
  Message back2 = back;
  for (size_t i = syms.size(); i-- > 0;) pop_known(back2, syms[i]);
  EXPECT_EQ(back2, Message());
}

TEST(AnsMessage, FromBytesRejectsTruncatedAndCorrupt) {
  const auto syms = random_intervals(200, 5);
  Message m;
  for (const auto& s : syms) m.push(s.start, s.freq);
  const auto bytes = m.to_bytes();
  for (size_t len = 0; len < bytes.size(); ++len) {
    EXPECT_THROW(Message::from_bytes(bytes.data(), len), MessageFormatError) << "len " << len;
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit : {0, 3, 7}) {
      auto bad = bytes;
      bad[i] ^= static_cast<uint8_t>(1u << bit);
      EXPECT_THROW(Message::from_bytes(bad), MessageFormatError) << "byte " << i;
    }
  }
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_THROW(Message::from_bytes(longer), MessageFormatError);
  EXPECT_THROW(Message::from_bytes(nullptr, 0), MessageFormatError);
}

TEST(AnsMessage, FromBytesValidatesStructureEvenWithValidChecksum) {
  // A head below 2^95 with a correct CRC must still be rejected.
  std::vector<uint8_t> b = {0xA1, 0x00};
  for (int i = 0; i < 16; ++i) b.push_back(0);
  const uint32_t crc = crc32c(b.data(), b.size());
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  EXPECT_THROW(Message::from_bytes(b), MessageFormatError);
}

TEST(AnsMessage, Crc32cKnownValue) {
  const char* s = "123456789";
  EXPECT_EQ(crc32c(reinterpret_cast<const uint8_t*>(s), 9), 0xE3069283u);
}

}  // namespace
}  // namespace lbb
