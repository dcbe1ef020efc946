// libFuzzer target: the whole decoder on untrusted bytes — parse_container, then
// decompress_items with a real model (fuzz_decoder.h), so the streams, tile modes, direct
// coders, palettes, bits-back flow coder and CRC checks all see them. Decoding only: a run
// costs a fraction of a millisecond, so campaigns reach tens of millions of runs (the encoder's
// round trip has its own target, fuzz_roundtrip.cc). The first input byte picks a mode:
//   0: decode the rest as a file, as is;
//   1: the same after overwriting its last 4 bytes with the right whole-file CRC-32, so that
//      the fuzzer gets past the CRC into the header fields and the streams;
//   2: as 1, and if the container parses, every stream's CRC-32C recomputed as well, so that
//      damaged stream content reaches the tile and flow decoders.
// Seeds (fuzz/run_fuzz.sh): valid files, the damaged corpus, and streams damaged and resealed.
// Checks, besides ASan/UBSan/LeakSanitizer: nothing but InputError escapes, its message is one
// line starting with the file's name; whatever decodes without an error has the stored CRC
// (decompress_items checks it).
#include <cstdint>
#include <vector>

#include "fuzz_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lbb;
  if (size == 0) return 0;
  std::vector<uint8_t> bytes(data + 1, data + size);
  std::vector<ImageItem> decoded;
  const int mode = data[0] % 3;
  if (mode >= 1) fuzz::fix_file_crc(&bytes);
  if (mode == 2) {
    Container c;
    try {
      c = parse_container(bytes, "in");
    } catch (const InputError&) {
      return 0;  // mode 1 covers the parser's errors
    }
    for (std::vector<uint8_t>& stream : c.streams) fuzz::fix_stream_crc(&stream);
    bytes = serialize_container(c);
  }
  fuzz::try_decode(bytes, &decoded);
  return 0;
}
