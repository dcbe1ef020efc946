// common/varint.h: contracts V1 (shortest form) and V2 (only shortest forms of values < 2^64
// are read back; everything else is refused and leaves the position alone).
#include "common/varint.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace lbb {
namespace {

VarintStatus read(const std::vector<uint8_t>& bytes, uint64_t* v, size_t* pos) {
  *pos = 0;
  return get_varint(bytes.data(), bytes.size(), pos, v);
}

TEST(CommonVarint, RoundTripsInShortestForm) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{300}, uint64_t{1} << 35,
                     (uint64_t{1} << 63) - 1, uint64_t{1} << 63, UINT64_MAX}) {
    std::vector<uint8_t> out{0xEE};  // appends after what is there
    put_varint(out, v);
    size_t bytes = 1;
    for (uint64_t x = v; x >= 0x80; x >>= 7) ++bytes;
    EXPECT_EQ(out.size(), 1 + bytes) << v;
    size_t pos = 1;
    uint64_t back = 0;
    ASSERT_EQ(get_varint(out.data(), out.size(), &pos, &back), VarintStatus::kOk) << v;
    EXPECT_EQ(back, v);
    EXPECT_EQ(pos, out.size());
  }
  std::vector<uint8_t> out;
  put_varint(out, 300);
  EXPECT_EQ(out, (std::vector<uint8_t>{0xAC, 0x02}));
}

TEST(CommonVarint, RefusesEverythingElse) {
  uint64_t v = 7;
  size_t pos = 0;
  EXPECT_EQ(read({}, &v, &pos), VarintStatus::kTruncated);
  EXPECT_EQ(read({0x80}, &v, &pos), VarintStatus::kTruncated);
  EXPECT_EQ(read({0x80, 0x00}, &v, &pos), VarintStatus::kNonCanonical);
  std::vector<uint8_t> ten(9, 0xFF);
  ten.push_back(0x02);
  EXPECT_EQ(read(ten, &v, &pos), VarintStatus::kOverflow);
  ten.back() = 0x81;
  ten.push_back(0x00);
  EXPECT_EQ(read(ten, &v, &pos), VarintStatus::kTooLong);
  ten.back() = 0x00;
  ten[9] = 0x00;
  EXPECT_EQ(read(ten, &v, &pos), VarintStatus::kNonCanonical);
  EXPECT_EQ(v, 7u);
  EXPECT_EQ(pos, 0u);
}

}  // namespace
}  // namespace lbb
