#!/usr/bin/env bash
# The main job: set up, then compress and decompress Fashion-MNIST test images with the
# shipped model, check every image, and print the sizes beside PNG's, WebP's and JPEG-XL's:
# the images one file each, one image alone, and all of them as one mosaic PNG; then one
# validation photograph (scripts/photo_data.sh) with the shipped photo model, beside PNG, WebP
# and JPEG-XL (scripts/bench_codecs.py).
#   scripts/demo.sh [IMAGES=1000]      (IMAGES a multiple of 100 for the mosaic's rows)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-1000}"
"$root/scripts/setup.sh"
lbb="$root/build/lbb"
out="$root/out"
mkdir -p "$out"
echo "== lbb compress fmnist:test:$n (shipped model)"
"$lbb" compress "fmnist:test:$n" -o "$out/fmnist_test_$n.lbb" --force --json | tee "$out/compress.json"
echo "== lbb decompress (another process, one thread)"
rm -rf "$out/fmnist_test_$n"
"$lbb" decompress "$out/fmnist_test_$n.lbb" -o "$out/fmnist_test_$n" --threads 1
pngs=("$out/fmnist_test_$n"/fmnist-test-*.png)
echo "== one image alone"
"$lbb" compress "${pngs[0]}" -o "$out/one.lbb" --force

echo "== the $n images as one mosaic PNG (100 per row), compressed as one image"
montage "${pngs[@]}" -tile 100x -geometry +0+0 -depth 8 -type Grayscale "png:$out/mosaic.png"
"$lbb" compress "$out/mosaic.png" -o "$out/mosaic.lbb" --force
rm -rf "$out/mosaic_check" && mkdir -p "$out/mosaic_check"
"$lbb" decompress "$out/mosaic.lbb" -o "$out/mosaic_check" --threads 1
cjxl -d 0 -e 9 --quiet "$out/mosaic.png" "$out/mosaic.jxl" 2>/dev/null

# Baselines on the very same (decompressed) images, one file per image.
dims=$((${#pngs[@]} * 784))
sum_bytes() { local t=0; for f in "$@"; do t=$((t + $(stat -c %s "$f"))); done; echo "$t"; }
png=$(sum_bytes "${pngs[@]}")
rm -rf "$out/optipng" "$out/webp" "$out/jxl" && mkdir -p "$out/optipng" "$out/webp" "$out/jxl"
optipng -quiet -o2 -dir "$out/optipng" "${pngs[@]}" 2>/dev/null || true
opt=$(sum_bytes "$out/optipng"/*.png)
for f in "${pngs[@]}"; do
  b="$(basename "$f" .png)"
  cwebp -quiet -lossless -z 9 "$f" -o "$out/webp/$b.webp"
  cjxl -d 0 -e 9 --quiet "$f" "$out/jxl/$b.jxl" 2>/dev/null
done
webp=$(sum_bytes "$out/webp"/*.webp)
jxl=$(sum_bytes "$out/jxl"/*.jxl)
lbb_bytes=$(stat -c %s "$out/fmnist_test_$n.lbb")
one_png=$(stat -c %s "$out/optipng/$(basename "${pngs[0]}")")
one_jxl=$(stat -c %s "$out/jxl/$(basename "${pngs[0]}" .png).jxl")
one_lbb=$(stat -c %s "$out/one.lbb")
bpd() { awk -v b="$1" -v d="$dims" 'BEGIN{printf "%.3f", 8*b/d}'; }
echo
printf '%-36s %12s %10s\n' "$n Fashion-MNIST test images" "bytes" "bits/dim"
for row in "lbb (shipped model, one .lbb):$lbb_bytes" "PNG (libpng, per image):$png" \
           "PNG (optipng -o2, per image):$opt" "WebP lossless -z 9, per image:$webp" \
           "JPEG-XL -d 0 -e 9, per image:$jxl" \
           "lbb, mosaic PNG:$(stat -c %s "$out/mosaic.lbb")" "PNG, mosaic (ImageMagick):$(stat -c %s "$out/mosaic.png")" \
           "JPEG-XL -d 0 -e 9, mosaic:$(stat -c %s "$out/mosaic.jxl")"; do
  printf '%-36s %12d %10s\n' "${row%%:*}" "${row##*:}" "$(bpd "${row##*:}")"
done
printf '\none image alone: lbb %d bytes, optimized PNG %d bytes, JPEG-XL %d bytes\n' "$one_lbb" "$one_png" "$one_jxl"

echo
echo "== one validation photograph (not trained on; all four in docs/photo_models.md), no --model: lbb"
echo "   chooses the RGB photo model, whose direct coders code this one whole (the flow does not win here)"
"$root/scripts/photo_data.sh" "$out/photo-data" >/dev/null
rm -rf "$out/photo" && mkdir -p "$out/photo"
cp "$out/photo-data/rgb/val/plasma-FallenLeaf.png" "$out/photo/"
python3 "$root/scripts/bench_codecs.py" "$out/photo" --out "$out/photo" --lbb "$lbb" \
  --codecs "lbb,optipng -o5,cwebp -z 9,cjxl -e 9"
