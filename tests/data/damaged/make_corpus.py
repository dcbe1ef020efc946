#!/usr/bin/env python3
"""Rebuilds the corpus of damaged .lbb files in this directory and expected_errors.txt.

usage: tests/data/damaged/make_corpus.py BUILD_DIR   (BUILD_DIR holds the lbb binary)

Every file here is a damaged or crafted container: truncated at each section, single bit flips,
headers declaring absurd sizes (with a correct CRC, so that the fields themselves are judged),
decompression bombs (bombs.py),
unsafe names, unknown options, wrong model, damaged streams.  expected_errors.txt holds, one per
line, the error `lbb decompress FILE --model ../fuzz_model.lbbm` must print (after "lbb: error: ")
when run in this directory; tests/decode_errors_test.cc checks every one, with its exit status,
its time and memory, and that nothing is written.  Review the messages after a rebuild: they are
the contract.  The files are made from base.lbb, which this script compresses from small images
(8x8 Fashion-MNIST crops the tiny model flow-codes, an RGB PPM, an RGBA PNG of three colours),
so a container version change means running it again.  base.lbb itself becomes
../fuzz_seed.lbb, the valid seed of fuzz/fuzz_decompress.cc.  Needs python3 and dataset-fashion-mnist.
"""
import gzip
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import bombs

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "fuzz_model.lbbm")
OTHER_MODEL = os.path.join(HERE, "..", "golden_model.lbbm")
FMNIST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
CROPS = 40


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def read_varint(b, i):
    v, shift = 0, 0
    while True:
        v |= (b[i] & 0x7F) << shift
        shift += 7
        i += 1
        if not b[i - 1] & 0x80:
            return v, i


def crc32c(data):  # CRC-32C (Castagnoli), as Message::to_bytes seals a stream
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def with_crc(body):
    return bytes(body) + struct.pack("<I", zlib.crc32(bytes(body)))


def png(path, w, h, channels, pixels):  # pixels: rows of interleaved samples
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    raw = b"".join(b"\0" + bytes(pixels[y * w * channels:(y + 1) * w * channels]) for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def make_inputs(tmp):
    with gzip.open(FMNIST) as f:
        data = f.read()
    crops = bytearray()
    for n in range(CROPS):  # 8x8 crops from the middle of the first test images
        img = data[16 + 784 * n:16 + 784 * (n + 1)]
        for y in range(10, 18):
            crops += img[28 * y + 10:28 * y + 18]
    with open(os.path.join(tmp, "t.idx"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, CROPS, 8, 8) + crops)
    with open(os.path.join(tmp, "c.ppm"), "wb") as f:
        f.write(b"P6\n13 7\n255\n" + bytes((x * 19 + y * 7 + c * 50) % 256 for y in range(7) for x in range(13) for c in range(3)))
    colours = [(200, 10, 10, 255), (10, 200, 10, 128), (0, 0, 0, 0)]
    png(os.path.join(tmp, "p.png"), 9, 5, 4, [v for y in range(5) for x in range(9) for v in colours[(x + y) % 3]])


class Layout:
    """Offsets of the sections of a version-3 container (docs/container_format.md)."""

    def __init__(self, b):
        self.coding = 8
        _, i = read_varint(b, self.coding)
        self.sigma = i
        _, i = read_varint(b, i)
        self.entries = i
        m, i = read_varint(b, i)
        self.names, self.h_fields = [], []
        for e in range(m):
            _, i = read_varint(b, i)
            n, i = read_varint(b, i)
            self.names.append((i, n))
            i += n
            kind = b[i]
            i += 1
            if kind == 1:
                continue
            i += 1  # format
            channels, i = read_varint(b, i)
            p, i = read_varint(b, i)
            i += p * (channels - 1 if channels % 2 == 0 else channels)
            self.h_fields.append(i)  # h, w, count follow
            for _ in range(8 if channels % 2 == 0 else 6):
                _, i = read_varint(b, i)
            i += 1  # flow
        self.streams = i
        s, i = read_varint(b, i)
        for _ in range(s - 1):
            _, i = read_varint(b, i)
        self.lengths = []
        for _ in range(s):
            n, i = read_varint(b, i)
            self.lengths.append(n)
        self.images_crc = i
        self.payload = i + 4
        self.end = len(b) - 4


def main():
    build = os.path.abspath(sys.argv[1])
    lbb = os.path.join(build, "lbb")
    os.chdir(HERE)
    for f in os.listdir(HERE):
        if f.endswith(".lbb"):
            os.remove(f)
    with tempfile.TemporaryDirectory() as tmp:
        make_inputs(tmp)
        ins = [os.path.join(tmp, n) for n in ("t.idx", "c.ppm", "p.png")]
        subprocess.run([lbb, "compress", *ins, "-o", "base.lbb", "--model", MODEL, "--streams", "2"], check=True)
        subprocess.run([lbb, "compress", ins[1], "-o", os.path.join(tmp, "other.lbb"), "--model", OTHER_MODEL],
                       check=True)
        other = open(os.path.join(tmp, "other.lbb"), "rb").read()
    base = open("base.lbb", "rb").read()
    os.replace("base.lbb", os.path.join("..", "fuzz_seed.lbb"))  # the fuzzers' valid seed
    L = Layout(base)
    files = {}

    # Truncated at every section (the CRC fails, so the damage is what is reported).
    cuts = {"empty": 0, "magic": 2, "version": 3, "model_id": 6, "coding": L.coding, "sigma": L.sigma,
            "entry_count": L.entries, "name": L.names[0][0] + 1, "fields": L.h_fields[-1] + 1,
            "stream_count": L.streams, "stream_lengths": L.images_crc - 1, "images_crc": L.images_crc + 2,
            "stream0": L.payload + L.lengths[0] // 2, "stream1": L.payload + L.lengths[0] + L.lengths[1] // 2,
            "file_crc": len(base) - 1}
    for name, at in cuts.items():
        files[f"truncated_{name}.lbb"] = base[:at]
    files["trailing_garbage.lbb"] = base + b"\0\0\0"

    # Single bit flips (CRC fails).
    for name, at in {"version": 3, "model_id": 5, "entry_count": L.entries, "name": L.names[1][0],
                     "stream_length": L.images_crc - 1, "stream0": L.payload + 3, "file_crc": len(base) - 2}.items():
        b = bytearray(base)
        b[at] ^= 0x10
        files[f"bitflip_{name}.lbb"] = bytes(b)
    b = bytearray(base)
    b[0:3] = b"PNG"
    files["bad_magic.lbb"] = bytes(b)

    # Crafted: every field judged with a correct CRC.
    def crafted(name, body):
        files[f"crafted_{name}.lbb"] = with_crc(body)

    body = bytearray(base[:-4])
    crafted("version_2", body[:3] + b"\x02" + body[4:])
    crafted("other_model_id", body[:4] + b"\x01\x02\x03\x04" + body[8:])
    k, _ = read_varint(body, L.coding)
    # Flag bits 0 and 1: float32 networks and activations (base.lbb has both); bit 2 is unknown.
    crafted("unknown_flags", body[:L.coding] + varint(k | 4 << 6) + body[L.sigma:])
    crafted("activations_without_networks", body[:L.coding] + varint(k & 63 | 2 << 6) + body[L.sigma:])
    crafted("precision_63", body[:L.coding] + varint(63) + body[L.sigma:])
    crafted("sigma_infinite", body[:L.sigma] + varint(((0x7FF0000000000000 ^ 0x3FF0000000000000) << 12 |
                                                       (0x7FF0000000000000 ^ 0x3FF0000000000000) >> 52)
                                                      & (1 << 64) - 1) + body[L.entries:])
    crafted("entries_2e32", body[:L.entries] + varint(1 << 32) + body[L.entries + 1:])
    h = L.h_fields[0]  # the IDX entry: h, w, count
    crafted("count_2e31", body[:h] + varint(8) + varint(8) + varint(1 << 31) + body[h + 3:])
    crafted("huge_image", body[:h] + varint(1 << 20) + varint(1 << 20) + varint(1) + body[h + 3:])
    crafted("streams_2e24", body[:L.streams] + varint(1 << 24) + body[L.streams + 1:])
    stream_tiles, _ = read_varint(body, L.streams + 1)
    crafted("stream_tiles_beyond", body[:L.streams + 1] + varint(1 << 20) + body[L.streams + 1 + len(varint(stream_tiles)):])
    crafted("stream_length_beyond", body[:L.images_crc - 1] + varint(100) + body[L.images_crc:])
    n0, len0 = L.names[0]
    crafted("unsafe_name_dotdot", body[:n0 - 1] + varint(len0 + 3) + b"../" + body[n0:])
    crafted("unsafe_name_absolute", body[:n0 - 1] + varint(len0 + 1) + b"/" + body[n0:])
    crafted("images_crc", body[:L.images_crc] + bytes(x ^ 0xFF for x in body[L.images_crc:L.images_crc + 4]) +
            body[L.payload:])
    # A stream's bytes damaged as they are: Message::from_bytes's own CRC-32C catches it.
    b = bytearray(body)
    b[L.payload + L.lengths[0] // 2] ^= 0x40
    crafted("stream0_bytes", b)
    b[L.payload] = 0x00
    crafted("stream0_tag", b)
    # A stream's content damaged and resealed (CRC-32C fixed): the decoder itself must notice.
    # Layout of a stream: tag, borrow counter (varint), head (16 bytes), words (4 bytes each,
    # bottom first), CRC-32C.
    starts = [L.payload, L.payload + L.lengths[0]]
    for name, (s_, offset, value) in {"stream0_head": (0, 2 + 5, None), "stream0_head_top": (0, 2 + 15, None),
                                      "stream0_bottom_word": (0, 18, None), "stream1_top_word": (1, -5, None),
                                      "stream1_middle_word": (1, L.lengths[1] // 2, None),
                                      "stream0_borrowed": (0, 1, 1), "stream1_words_zeroed": (1, 18, 0)}.items():
        b = bytearray(body)
        lo, n = starts[s_], L.lengths[s_]
        stream = bytearray(b[lo:lo + n])
        at = offset % (n - 4)
        if name.endswith("_zeroed"):
            stream[18:n - 4] = bytes(n - 22)
        elif value is not None:
            stream[at] = value
        else:
            stream[at] ^= 0x10
        stream[n - 4:] = struct.pack("<I", crc32c(stream[:n - 4]))
        b[lo:lo + n] = stream
        crafted("resealed_" + name, b)
    files["wrong_model.lbb"] = other  # intact, made with another model
    for name, data in bombs.cases(base[4:8], 1 << 13):  # at the size bound (container.h)
        files[f"bomb_{name}.lbb"] = data

    expected = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(files):
            with open(name, "wb") as f:
                f.write(files[name])
            r = subprocess.run([lbb, "decompress", name, "--model", "../fuzz_model.lbbm", "-o",
                                os.path.join(tmp, "out")], capture_output=True, text=True)
            err = r.stderr.strip()
            if r.returncode == 0 or "\n" in err or not err.startswith("lbb: error: " + name + ": "):
                sys.exit(f"{name}: unexpected result (status {r.returncode}): {r.stderr}")
            expected.append(err[len("lbb: error: "):])
    with open("expected_errors.txt", "w") as f:
        f.write("\n".join(expected) + "\n")
    print(f"wrote {len(files)} files and expected_errors.txt")


if __name__ == "__main__":
    main()
