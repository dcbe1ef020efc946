#include "codec/parallel.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "model/discretized.h"

namespace lbb {
namespace {

struct Data {
  std::vector<std::vector<double>> mean;
  std::vector<std::vector<uint64_t>> idx;
};

const GridSpec kGrid{-256.0, 32, uint64_t{1} << 41};

Data make_data(size_t streams, size_t per_stream) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> mu(-3, 3);
  std::normal_distribution<double> nd;
  Data d;
  d.mean.resize(streams);
  d.idx.resize(streams);
  for (size_t k = 0; k < streams; ++k)
    for (size_t i = 0; i < per_stream + k; ++i) {  // unequal lengths on purpose
      d.mean[k].push_back(mu(rng));
      d.idx[k].push_back(kGrid.index_of(d.mean[k].back() + 0x1p-14 * nd(rng)));
    }
  return d;
}

auto stream_codec(const Data& d) {
  return parallel(
      [&d](size_t k) {
        return indexed(d.idx[k].size(), [&d, k](size_t i) { return GaussianCodec{d.mean[k][i], 0x1p-14, kGrid}; });
      },
      0);
}

TEST(CodecParallel, SameBytesWhateverTheThreadCount) {
  const size_t K = 8;
  const Data d = make_data(K, 5000);
  std::vector<uint8_t> reference;
  for (unsigned threads : {1u, 2u, 3u, 8u, 16u}) {
    std::vector<Message> streams(K);
    auto codec = stream_codec(d);
    codec.threads = threads;
    codec.push(span_of(streams), d.idx);
    const std::vector<uint8_t> bytes = streams_to_bytes(streams);
    if (reference.empty()) reference = bytes;
    EXPECT_EQ(bytes, reference) << threads << " threads";
  }
  // Decode with yet another thread count.
  std::vector<Message> streams = streams_from_bytes(reference.data(), reference.size());
  auto codec = stream_codec(d);
  codec.threads = 5;
  EXPECT_EQ(codec.pop(span_of(streams)), d.idx);
  for (const Message& m : streams) EXPECT_EQ(m, Message());
}

TEST(CodecParallel, SubstackAndOnStream) {
  std::vector<Message> streams(4);
  const auto c = substack(on_stream(GaussianCodec{0.0, 1.0, GridSpec{-8, 8, 4096}}, 1), 2, 2);
  c.push(span_of(streams), uint64_t{2100});
  EXPECT_EQ(streams[0], Message());
  EXPECT_EQ(streams[1], Message());
  EXPECT_EQ(streams[2], Message());
  EXPECT_NE(streams[3], Message());
  EXPECT_EQ(c.pop(span_of(streams)), 2100u);
  EXPECT_EQ(streams[3], Message());
  EXPECT_THROW(substack(on_stream(GaussianCodec{0.0, 1.0, GridSpec{-8, 8, 4096}}, 2), 2, 2)
                   .push(span_of(streams), uint64_t{1}),
               CodingError);
}

TEST(CodecParallel, ErrorsPropagateDeterministically) {
  std::vector<Message> streams(6);
  try {
    for_each_stream(span_of(streams), 3, [](size_t k, Message& m) {
      if (k == 2 || k == 4) m.push(0, 0);  // invalid: throws CodingError
    });
    FAIL() << "expected an exception";
  } catch (const CodingError&) {
  }
}

TEST(CodecParallel, StreamsFromBytesRejectsMalformedInput) {
  const Data d = make_data(3, 50);
  std::vector<Message> streams(3);
  stream_codec(d).push(span_of(streams), d.idx);
  const auto bytes = streams_to_bytes(streams);
  EXPECT_EQ(streams_from_bytes(bytes.data(), bytes.size()), streams);
  for (size_t len = 0; len < bytes.size(); ++len)
    EXPECT_THROW(streams_from_bytes(bytes.data(), len), MessageFormatError) << len;
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto bad = bytes;
    bad[i] ^= 0x10;
    EXPECT_THROW(streams_from_bytes(bad.data(), bad.size()), MessageFormatError) << i;
  }
}

}  // namespace
}  // namespace lbb
