#!/usr/bin/env python3
"""Decompression bombs: .lbb archives valid up to their streams' contents (correct file CRC,
well-formed rANS messages of pseudo-random words) that declare as many subpixels as their size
allows, in one large tile, in 256x256 tiles, over many streams or many entries. The decoder must
reject each within the time and memory its size allows (docs/container_format.md, "Size
bounds"). make_corpus.py adds them to the corpus; alone:
  bombs.py MODEL_ID_HEX OUT_DIR [SUBPIXELS_PER_BYTE]
(MODEL_ID: the 4 id bytes of an archive made with the model, e.g. `xxd -s 4 -l 4 -p f.lbb`)."""
import os
import random
import struct
import sys
import zlib


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def message(n_bytes, rng, borrowed=0):
    """A well-formed rANS message (ans/message.cc's serialised form) of about n_bytes."""
    words = max(0, (n_bytes - 22) // 4)
    head = (1 << 95) | rng.getrandbits(95)
    body = bytes([0xA1]) + varint(borrowed) + head.to_bytes(16, "little")
    body += bytes(rng.getrandbits(8) for _ in range(4 * words))
    return body + struct.pack("<I", crc32c(body))


def entry(name, channels, h, w, count, tile_h, tile_w, tile_channels, flow=0, palette=b"", prev_name=b"", same=False):
    shared = 0
    while shared < min(len(name), len(prev_name)) and name[shared] == prev_name[shared]:
        shared += 1
    out = varint(shared) + varint(len(name) - shared) + name[shared:]
    if same:
        return out + bytes([1])  # kind 1: the previous entry's fields
    out += bytes([0, 0]) + varint(channels)  # kind 0 (fields follow), format PNG
    out += varint(len(palette) // max(1, channels - (channels % 2 == 0))) + palette
    out += varint(h) + varint(w) + varint(count) + varint(tile_h) + varint(tile_w) + varint(tile_channels)
    if channels % 2 == 0:
        out += varint(min(h, tile_h)) + varint(min(w, tile_w))
    return out + bytes([flow])


def archive(model_id, entries, streams, stream_tiles=None, version=8):
    out = b"LBB" + bytes([version]) + model_id + varint(32 | 3 << 6) + varint(14)
    out += varint(len(entries)) + b"".join(entries)
    out += varint(len(streams))
    for t in (stream_tiles or [])[: max(0, len(streams) - 1)]:
        out += varint(t)
    out += b"".join(varint(len(s)) for s in streams)
    out += struct.pack("<I", 0x12345678)  # images CRC: only checked after decoding
    out += b"".join(streams)
    return out + struct.pack("<I", zlib.crc32(out))


def cases(model_id, per_byte):
    """per_byte: the subpixels per byte of file the cases declare (the decoder's bound)."""
    rng = random.Random(32)
    side_for = lambda size, c: max(256, int((per_byte * size / c) ** 0.5) // 256 * 256)
    for size in (1000, 16000):
        s = side_for(size, 1)
        yield f"one_tile_grey_{size}", archive(model_id, [entry(b"a.png", 1, s, s, 1, s, s, 1)], [message(size - 60, rng)])
        s = side_for(size, 3)
        yield f"one_tile_rgb_{size}", archive(model_id, [entry(b"a.png", 3, s, s, 1, s, s, 3)], [message(size - 60, rng)])
        yield f"tiles_rgb_{size}", archive(model_id, [entry(b"a.png", 3, s, s, 1, 256, 256, 3)], [message(size - 60, rng)])
        yield f"tiles_planes_{size}", archive(model_id, [entry(b"a.png", 3, s, s, 1, 256, 256, 1)], [message(size - 60, rng)])
        s = side_for(size, 1)
        yield f"tiles_grey_{size}", archive(model_id, [entry(b"a.png", 1, s, s, 1, 256, 256, 1)], [message(size - 60, rng)])
        yield f"tiles_grey_alpha_{size}", archive(model_id, [entry(b"a.png", 2, s // 2, s, 1, 256, 256, 1)], [message(size - 60, rng)])
        n = size // 60
        s = side_for(size, 3)
        yield f"many_streams_{size}", archive(
            model_id, [entry(b"a.png", 3, s, s, 1, 256, 256, 3)], [message(40, rng) for _ in range(n)], [1] * n)
        names = [b"d/%06d.png" % i for i in range(size // 8)]
        s = max(8, side_for(size // len(names), 3) // 8)
        ents = [entry(n, 3, s, s, 1, s, s, 3, prev_name=p, same=i > 0) for i, (n, p) in enumerate(zip(names, [b""] + names))]
        yield f"many_entries_{size}", archive(model_id, ents, [message(size // 4, rng)])
    yield "borrowed_counter", archive(model_id, [entry(b"a.png", 3, 256, 256, 1, 256, 256, 3)], [message(100, rng, borrowed=5)])
    yield "idx_like_count", archive(model_id, [entry(b"a.idx", 1, 28, 28, 1 << 24, 28, 28, 1)], [message(4000, rng)])


def main():
    model_id = bytes.fromhex(sys.argv[1])
    per_byte = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
    os.makedirs(sys.argv[2], exist_ok=True)
    for name, data in cases(model_id, per_byte):
        with open(os.path.join(sys.argv[2], name + ".lbb"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
