#!/usr/bin/env bash
# The main job: set up, then compress and decompress Fashion-MNIST test images with the
# shipped model, check every image, and print the sizes beside PNG's (and WebP's).
#   scripts/demo.sh [IMAGES=1000]
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
echo "== one image alone"
"$lbb" compress "$out/fmnist_test_$n/image_00000.png" -o "$out/one.lbb" --force

# Baselines on the very same (decompressed) images, one file per image.
pngs=("$out/fmnist_test_$n"/*.png)
dims=$((${#pngs[@]} * 784))
sum_bytes() { local t=0; for f in "$@"; do t=$((t + $(stat -c %s "$f"))); done; echo "$t"; }
png=$(sum_bytes "${pngs[@]}")
rm -rf "$out/optipng" "$out/webp" && mkdir -p "$out/optipng" "$out/webp"
optipng -quiet -o2 -dir "$out/optipng" "${pngs[@]}" 2>/dev/null || true
opt=$(sum_bytes "$out/optipng"/*.png)
for f in "${pngs[@]}"; do cwebp -quiet -lossless -z 9 "$f" -o "$out/webp/$(basename "$f" .png).webp"; done
webp=$(sum_bytes "$out/webp"/*.webp)
lbb_bytes=$(stat -c %s "$out/fmnist_test_$n.lbb")
one_png=$(stat -c %s "$out/optipng/image_00000.png")
one_lbb=$(stat -c %s "$out/one.lbb")
echo
printf '%-28s %12s %10s\n' "$n Fashion-MNIST test images" "bytes" "bits/dim"
for row in "lbb (this model):$lbb_bytes" "PNG (libpng, per image):$png" "PNG (optipng -o2):$opt" "WebP lossless -z 9:$webp"; do
  printf '%-28s %12d %10.3f\n' "${row%%:*}" "${row##*:}" "$(awk -v b="${row##*:}" -v d="$dims" 'BEGIN{print 8*b/d}')"
done
printf '\none image alone: lbb %d bytes, optimized PNG %d bytes\n' "$one_lbb" "$one_png"
