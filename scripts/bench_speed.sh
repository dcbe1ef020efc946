#!/usr/bin/env bash
# Coding speed side by side in one run (issue 12's measure): the first N Fashion-MNIST test
# images (default all 10,000) coded by `lbb compress fmnist:test:N` and `lbb decompress`
# (every core), and as one mosaic PNG (100 per row) by `cjxl -d 0 -e 9` / `djxl` and by
# `lbb compress mosaic.png`; prints seconds, sizes and lbb's time over cjxl's encode time.
# Run it on an otherwise idle machine.
#   scripts/bench_speed.sh [N=10000] [OUT_DIR]   (LBB_SPEED_MOSAIC=0: skip lbb on the mosaic;
#   LBB_SPEED_FLAGS="--f64": extra flags for lbb compress, e.g. float64 networks)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-10000}"
out="${2:-$(mktemp -d)}"
lbb="${LBB:-$root/build/lbb}"
idx=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
mkdir -p "$out"
python3 - "$idx" "$n" "$out/mosaic.png" <<'PY'
import gzip, struct, sys, zlib
path, n, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
raw = gzip.open(path).read()
count, rows, cols = struct.unpack(">III", raw[4:16])
assert n % 100 == 0 and n <= count, "N must be a multiple of 100, at most 10000"
px = raw[16:]
w, h = 100 * cols, (n // 100) * rows
lines = bytearray()
for y in range(h):
    lines.append(0)
    r, iy = divmod(y, rows)
    for c in range(100):
        i = (r * 100 + c) * rows * cols + iy * cols
        lines += px[i:i + cols]
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(dst, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                      chunk(b"IDAT", zlib.compress(bytes(lines), 9)) + chunk(b"IEND", b""))
PY
now() { date +%s.%N; }
timed() {  # timed NAME CMD...: runs CMD, records its wall seconds in t_NAME
  local s e
  s=$(now); "${@:2}" >/dev/null 2>&1; e=$(now)
  printf -v "t_$1" '%.2f' "$(echo "$e - $s" | bc -l)"
}
timed cjxl cjxl -d 0 -e 9 --quiet "$out/mosaic.png" "$out/mosaic.jxl"
timed djxl djxl "$out/mosaic.jxl" "$out/mosaic_jxl.png"
flags=(${LBB_SPEED_FLAGS:-})
timed lbb_c "$lbb" compress "fmnist:test:$n" -o "$out/fmnist.lbb" -f "${flags[@]}"
timed lbb_d "$lbb" decompress "$out/fmnist.lbb" -o "$out/fmnist.idx" -f
mosaic="${LBB_SPEED_MOSAIC:-1}"
if [[ "$mosaic" == 1 ]]; then  # (lbb checks every decode against the stored CRC)
  timed lbb_mc "$lbb" compress "$out/mosaic.png" -o "$out/mosaic.lbb" -f "${flags[@]}"
  timed lbb_md "$lbb" decompress "$out/mosaic.lbb" -o "$out/mosaic_out" -f
fi
dims=$((n * 784))
row() { printf '%-40s %9s s  %6.2fx cjxl -e 9  %10s bytes  %.4f bits/dim\n' "$1" "$2" "$(echo "$2 / $t_cjxl" | bc -l)" "$3" "$(echo "8 * $3 / $dims" | bc -l)"; }
echo "$n Fashion-MNIST test images, $(nproc) cores"
row "cjxl -d 0 -e 9 (mosaic)" "$t_cjxl" "$(stat -c %s "$out/mosaic.jxl")"
row "djxl (mosaic)" "$t_djxl" "$(stat -c %s "$out/mosaic.jxl")"
row "lbb compress fmnist:test:$n ${LBB_SPEED_FLAGS:-}" "$t_lbb_c" "$(stat -c %s "$out/fmnist.lbb")"
row "lbb decompress (to IDX)" "$t_lbb_d" "$(stat -c %s "$out/fmnist.lbb")"
if [[ "$mosaic" == 1 ]]; then
  row "lbb compress mosaic.png" "$t_lbb_mc" "$(stat -c %s "$out/mosaic.lbb")"
  row "lbb decompress mosaic.lbb" "$t_lbb_md" "$(stat -c %s "$out/mosaic.lbb")"
fi
