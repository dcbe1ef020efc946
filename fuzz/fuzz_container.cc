// libFuzzer target: parse_container on untrusted bytes.  The first input byte picks a mode:
//   0: parse the rest as is;
//   1: parse the rest after overwriting its last 4 bytes with the right whole-file CRC-32, so the
//      fuzzer gets past the CRC and exercises the structural checks;
//   2: build a valid Container from the rest, serialize it, and require that it parses back
//      equal, that a truncation at an input-chosen point is rejected as "truncated", and that a
//      single bit flip at an input-chosen point is rejected.
// Checks, besides ASan/UBSan: parse_container throws nothing but InputError, whose message is one
// line starting with the name; an accepted file re-serialises to exactly the same bytes.
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "format/container.h"
#include "io/errors.h"

namespace {

using namespace lbb;

void check(bool ok) {
  if (!ok) std::abort();
}

// Parses; returns true on success.  Only InputError may escape parse_container.
bool try_parse(const std::vector<uint8_t>& bytes, Container* out, std::string* error) {
  try {
    *out = parse_container(bytes, "in");
  } catch (const InputError& e) {
    const std::string m = e.what();
    check(m.rfind("in: ", 0) == 0 && m.size() > 4 && m.find('\n') == std::string::npos);
    if (error) *error = m;
    return false;
  }
  check(serialize_container(*out) == bytes);  // canonical: accepted bytes are what we'd write
  return true;
}

struct Reader {
  const uint8_t* p;
  size_t n;
  uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{byte()} << (8 * i);
    return v;
  }
  uint64_t u64() { return u32() | uint64_t{u32()} << 32; }
};

void structured(Reader in) {
  Container c;
  ContainerHeader& h = c.header;
  h.model_id = in.u32();
  h.c = in.byte() % 4 + 1;
  h.h = (in.byte() | uint32_t{in.byte()} << 8) % kMaxImageSide + 1;
  h.w = (in.byte() | uint32_t{in.byte()} << 8) % kMaxImageSide + 1;
  h.n = in.u32() % 1000;
  while (h.subpixels() > kMaxSubpixels) h.n /= 2;
  h.precision_bits = in.byte() % (kMaxPrecisionBits + 1);
  h.flags = in.u32() >> (in.byte() % 32);
  double sigma;
  const uint64_t bits = in.u64();
  std::memcpy(&sigma, &bits, sizeof sigma);
  if (!(sigma > 0 && sigma <= 1e308)) sigma = std::ldexp(1.0, -(in.byte() % 64));
  h.sigma = sigma;
  const size_t s = h.n == 0 ? in.byte() % 3 : in.byte() % 8 + 1;
  uint32_t left = h.n;
  for (size_t i = 0; i < s; ++i) {
    const uint32_t k = i + 1 == s ? left : (left == 0 ? 0 : in.u32() % (left + 1));
    c.stream_images.push_back(k);
    left -= k;
    const size_t len = in.byte() % 64 == 0 ? in.u32() % 5000 : in.byte() % 40;
    std::vector<uint8_t> stream(len);
    for (auto& b : stream) b = in.byte();
    c.streams.push_back(std::move(stream));
  }
  c.images_crc32 = in.u32();
  const std::vector<uint8_t> bytes = serialize_container(c);
  check(bytes.size() == container_overhead(c) + [&] {
    size_t t = 0;
    for (const auto& st : c.streams) t += st.size();
    return t;
  }());
  Container back;
  check(try_parse(bytes, &back, nullptr) && back == c);

  std::string error;
  const size_t cut = in.u32() % bytes.size();
  check(!try_parse(std::vector<uint8_t>(bytes.begin(), bytes.begin() + cut), &back, &error));
  check(error.find(cut == 0 ? "empty" : "truncated") != std::string::npos);

  std::vector<uint8_t> flipped = bytes;
  const uint32_t where = in.u32();
  flipped[where % bytes.size()] ^= static_cast<uint8_t>(1u << (where >> 29));
  check(!try_parse(flipped, &back, &error));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  std::vector<uint8_t> bytes(data + 1, data + size);
  Container c;
  switch (mode) {
    case 0:
      try_parse(bytes, &c, nullptr);
      break;
    case 1:
      if (bytes.size() >= 8) {
        const size_t body = bytes.size() - 4;
        const uint32_t crc = static_cast<uint32_t>(crc32_z(crc32_z(0, Z_NULL, 0), bytes.data(), body));
        for (int i = 0; i < 4; ++i) bytes[body + i] = static_cast<uint8_t>(crc >> (8 * i));
      }
      try_parse(bytes, &c, nullptr);
      break;
    case 2:
      structured(Reader{data + 1, size - 1});
      break;
  }
  return 0;
}
