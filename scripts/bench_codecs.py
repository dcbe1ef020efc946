#!/usr/bin/env python3
"""Side by side, in one run: lbb against PNG (optipng), WebP, JPEG-XL and JPEG 2000 lossless.

    scripts/bench_codecs.py DIR [--out OUT] [--lbb BUILD/lbb] [--model M] [--codecs a,b,...]

A codec "lbb OPTIONS" is lbb compress with those options (e.g. "lbb,lbb --exhaustive").

For every PNG/PGM/PPM image of DIR (sorted by name), as a PNG without metadata, each codec encodes
it alone (one process, as a user would run it, all cores) and decodes it again; every decoded image is compared
with the original pixel by pixel (ImageMagick, 8-bit RGBA), and a mismatch stops the run. Prints
a table of pixel-weighted bits per dimension (8 x bytes / (width x height x colour channels),
alpha counting as a channel) and encode / decode seconds per megapixel, and writes OUT/codecs.csv
(one row per image and codec), OUT/codecs.md (the table) and OUT/codecs.png (bits/dim per image
and codec, gnuplot). Nothing of DIR is written; scratch files go to a temporary directory.
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> (encoder argv, output suffix, decoder argv or None when the output is a PNG already).
# {i} input, {o} encoded file, {d} decoded file, {levels} wavelet resolutions.
CODECS = {
    "optipng -o5": (["optipng", "-quiet", "-o5", "-out", "{o}", "{i}"], ".png", None),
    "cwebp -z 9": (["cwebp", "-quiet", "-lossless", "-z", "9", "-exact", "-metadata", "none", "{i}", "-o", "{o}"],
                   ".webp", ["dwebp", "-quiet", "-pam", "{o}", "-o", "{d}.pam"]),
    "cjxl -e 7": (["cjxl", "--quiet", "-d", "0", "-e", "7", "{i}", "{o}"], ".jxl", ["djxl", "--quiet", "{o}", "{d}.png"]),
    "cjxl -e 9": (["cjxl", "--quiet", "-d", "0", "-e", "9", "{i}", "{o}"], ".jxl", ["djxl", "--quiet", "{o}", "{d}.png"]),
    # Lossless by default (reversible 5/3 wavelet); 6 resolutions, fewer for images under 32 pixels.
    "opj_compress": (["opj_compress", "-n", "{levels}", "-i", "{i}", "-o", "{o}"], ".jp2",
                     ["opj_decompress", "-quiet", "-i", "{o}", "-o", "{d}.png"]),
}


def run(argv, what):
    t = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"bench_codecs: {what} failed ({' '.join(argv)}): {p.stderr.strip()[:300]}")
    return dt


def pixels(path):
    """(width, height, colour channels incl. alpha, RGBA bytes) of an image, via ImageMagick."""
    info = subprocess.run(["identify", "-format", "%w %h %[channels]\n", path], capture_output=True, text=True,
                          check=True).stdout.split("\n")[0].split()
    w, h, layout = int(info[0]), int(info[1]), info[2]
    channels = {"gray": 1, "graya": 2, "srgb": 3, "rgb": 3, "srgba": 4, "rgba": 4}.get(layout.lower())
    if channels is None:
        sys.exit(f"bench_codecs: {path}: unsupported channel layout {layout}")
    rgba = subprocess.run(["convert", path, "-depth", "8", "rgba:-"], capture_output=True, check=True).stdout
    return w, h, channels, rgba


def fill(argv, **kw):
    return [a.format(**kw) for a in argv]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--out", default=".", help="directory for codecs.csv, codecs.md, codecs.png")
    ap.add_argument("--lbb", default=os.path.join(ROOT, "build", "lbb"))
    ap.add_argument("--model", help="lbb --model (default: none, lbb chooses)")
    ap.add_argument("--codecs", default="lbb," + ",".join(CODECS), help="comma-separated subset")
    args = ap.parse_args()
    chosen = [c.strip() for c in args.codecs.split(",") if c.strip()]
    for c in chosen:
        if c.split()[0] != "lbb" and c not in CODECS:
            sys.exit(f"bench_codecs: unknown codec {c!r} (known: lbb, {', '.join(CODECS)})")
    for tool in ["identify", "convert"] + [CODECS[c][0][0] for c in chosen if c.split()[0] != "lbb"]:
        if not shutil.which(tool):
            sys.exit(f"bench_codecs: {tool} not found (scripts/setup.sh installs it)")
    images = sorted(f for f in os.listdir(args.dir) if f.lower().endswith((".png", ".pgm", ".ppm", ".pnm")))
    if not images:
        sys.exit(f"bench_codecs: no PNG/PGM/PPM images in {args.dir}")
    os.makedirs(args.out, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_codecs.") as tmp:
        for n, name in enumerate(images):
            # Every codec reads the same metadata-free PNG of the image (opj_compress would apply a gAMA chunk).
            os.makedirs(os.path.join(tmp, "in"), exist_ok=True)
            src = os.path.join(tmp, "in", os.path.splitext(name)[0] + ".png")
            subprocess.run(["convert", os.path.join(args.dir, name), "-strip", "PNG:" + src], check=True)
            w, h, ch, ref = pixels(os.path.join(args.dir, name))
            if pixels(src)[3] != ref:
                sys.exit(f"bench_codecs: cannot make a plain PNG of {name}")
            dims = w * h * ch
            print(f"[{n + 1}/{len(images)}] {name} {w}x{h}x{ch}", file=sys.stderr, flush=True)
            for codec in chosen:
                enc = os.path.join(tmp, "enc")
                dec = os.path.join(tmp, "dec")
                for f in os.listdir(tmp):
                    p = os.path.join(tmp, f)
                    if f == "in":
                        continue
                    shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
                if codec.split()[0] == "lbb":
                    enc += ".lbb"
                    argv = [args.lbb, "compress", src, "-o", enc] + codec.split()[1:] + (
                        ["--model", args.model] if args.model else [])
                    t_enc = run(argv, f"lbb compress {name}")
                    os.mkdir(dec)
                    t_dec = run([args.lbb, "decompress", enc, "-o", dec] + (["--model", args.model] if args.model else []),
                                f"lbb decompress {name}")
                    decoded = os.path.join(dec, os.path.basename(src))
                else:
                    enc_argv, suffix, dec_argv = CODECS[codec]
                    enc += suffix
                    levels = min(6, min(w, h).bit_length())
                    t_enc = run(fill(enc_argv, i=src, o=enc, d=dec, levels=levels), f"{codec} {name}")
                    if dec_argv is None:
                        t_dec, decoded = 0.0, enc
                    else:
                        t_dec = run(fill(dec_argv, i=src, o=enc, d=dec), f"{codec} decode {name}")
                        decoded = dec + os.path.splitext(dec_argv[-1])[1]
                if pixels(decoded)[3] != ref:
                    sys.exit(f"bench_codecs: {codec} did not decode {name} exactly")
                size = os.path.getsize(enc)
                rows.append({"image": name, "codec": codec, "width": w, "height": h, "channels": ch,
                             "bytes": size, "bpd": 8.0 * size / dims, "encode_s": t_enc, "decode_s": t_dec})
    with open(os.path.join(args.out, "codecs.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        for r in rows:
            wr.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in r.items()})
    total_dims = sum(r["width"] * r["height"] * r["channels"] for r in rows if r["codec"] == chosen[0])
    megapixels = sum(r["width"] * r["height"] for r in rows if r["codec"] == chosen[0]) / 1e6
    lines = [f"{len(images)} images of {args.dir}, {megapixels:.2f} megapixels, {total_dims:,} dimensions; "
             "every decode checked pixel by pixel", "",
             "| codec | bytes | bits/dim (pixel-weighted) | encode s/MP | decode s/MP |", "| --- | ---: | ---: | ---: | ---: |"]
    for codec in chosen:
        rs = [r for r in rows if r["codec"] == codec]
        size = sum(r["bytes"] for r in rs)
        bpd = 8.0 * size / total_dims
        enc = sum(r["encode_s"] for r in rs) / megapixels
        dec = sum(r["decode_s"] for r in rs) / megapixels
        lines.append(f"| {codec} | {size:,} | {bpd:.3f} | {enc:.2f} | {dec:.2f} |")
    table = "\n".join(lines) + "\n"
    print(table)
    with open(os.path.join(args.out, "codecs.md"), "w") as f:
        f.write(table)
    plot(rows, chosen, images, args.out)


def plot(rows, chosen, images, out):
    if not shutil.which("gnuplot"):
        print("bench_codecs: gnuplot not found, no plot", file=sys.stderr)
        return
    data = os.path.join(out, "codecs.dat")
    with open(data, "w") as f:
        for codec in chosen:
            f.write(f'"{codec}"\n')
            for i, name in enumerate(images):
                r = next(r for r in rows if r["codec"] == codec and r["image"] == name)
                f.write(f'{i} {r["bpd"]:.6f} "{os.path.splitext(name)[0]}"\n')
            f.write("\n\n")
    script = f"""
set terminal pngcairo size {max(800, 60 * len(images) + 300)},560 font ",10"
set output "{os.path.join(out, 'codecs.png')}"
set ylabel "bits per dimension"
set xtics rotate by -40 left noenhanced
set key outside right top noenhanced
set grid ytics
set xrange [-0.5:{len(images) - 0.5}]
set bmargin 8
plot for [k=0:{len(chosen) - 1}] "{data}" index k using 1:2:xtic(3) with linespoints pt 7 title columnheader(1)
"""
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    os.remove(data)
    if p.returncode != 0:
        print(f"bench_codecs: gnuplot failed: {p.stderr.strip()[:300]}", file=sys.stderr)


if __name__ == "__main__":
    main()
