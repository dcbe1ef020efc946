#!/usr/bin/env bash
# scripts/photo_data.sh --from on small synthetic packages made here with ImageMagick: a listed
# 96x72 JPEG comes out 32x24 with every tested pixel the mean of its 3x3 block; a 100x75 JPEG is
# cropped to 99x75 first; a listed 16-bit PNG with an (opaque) alpha channel is kept at full size as
# 8-bit RGB; a PNG not on the list is left out; a mono photograph is in the grey set only; each
# photograph lands in exactly one split and the grey set has the same names; a second run converts
# nothing and changes no byte; a changed list moves and removes outputs; bad lists and sources
# fail with a one-line error; nothing outside OUT_DIR is touched.
#
# usage: tests/photo_data_test.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
script="$root/scripts/photo_data.sh"
fail() { echo "photo_data_test: $*" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
im() { convert -limit thread 1 "$@"; }

in="$tmp/in"
a="$in/pkg-a/usr/share/p" b="$in/pkg-b/img"
mkdir -p "$a" "$b"
im -size 96x72 gradient:'#c03020-#2060e0' -seed 7 -attenuate 0.6 +noise Uniform \
  -sampling-factor 2x2 -quality 90 "$a/photo.jpg"
im -seed 3 -size 100x75 plasma:fractal -quality 92 "$a/odd.jpg" 2>/dev/null ||
  im -size 100x75 gradient:green-yellow -seed 3 +noise Gaussian -quality 92 "$a/odd.jpg"
im -size 40x30 gradient:white-navy -seed 5 +noise Gaussian -alpha set -depth 16 "PNG64:$a/big16.png"
im -size 64x48 xc:orange -fill blue -draw 'circle 32,24 32,8' "$a/render.png"
im -size 60x45 gradient:black-white -seed 9 +noise Uniform -colorspace Gray -quality 90 "$b/mono.jpg"
sha() { sha256sum "$1" | cut -c1-64; }
[[ "$(identify -format '%z %[channels]' "$a/big16.png")" == "16 srgba" ]] || fail "test input big16.png is not 16-bit RGBA"

cat >"$tmp/list" <<EOF
# name package path kind split factor sha256
a-photo  pkg-a usr/share/p/photo.jpg  photo val   3 $(sha "$a/photo.jpg")
a-odd    pkg-a usr/share/p/odd.jpg    photo train - -
a-big16  pkg-a usr/share/p/big16.png  photo train - $(sha "$a/big16.png")
b-mono   pkg-b img/mono.jpg           mono  train 3 -
EOF
echo "do not touch" >"$tmp/sentinel"
out="$tmp/out"
"$script" --from "$in" --list "$tmp/list" "$out" >"$tmp/log1" || { cat "$tmp/log1"; fail "first run failed"; }

# Sizes, formats, sets.
png_type() { od -An -tu1 -j24 -N2 "$1" | tr -s ' ' | sed 's/^ //'; }   # IHDR bit depth, colour type
check() {  # FILE WxH "DEPTH COLOURTYPE"
  [[ -f "$1" ]] || fail "missing $1"
  [[ "$(identify -format '%wx%h' "$1")" == "$2" ]] || fail "$1 is $(identify -format '%wx%h' "$1"), want $2"
  [[ "$(png_type "$1")" == "$3" ]] || fail "$1 has PNG bit depth/colour type $(png_type "$1"), want $3"
}
check "$out/rgb/val/a-photo.png" 32x24 "8 2"
check "$out/grey/val/a-photo.png" 32x24 "8 0"
check "$out/rgb/train/a-odd.png" 33x25 "8 2"
check "$out/rgb/train/a-big16.png" 40x30 "8 2"
check "$out/grey/train/a-big16.png" 40x30 "8 0"
check "$out/grey/train/b-mono.png" 20x15 "8 0"
[[ ! -e "$out/rgb/train/b-mono.png" && ! -e "$out/rgb/val/b-mono.png" ]] || fail "a mono photograph is in the RGB set"
if find "$out" -name '*render*' | grep -q .; then fail "render.png (not on the list) came out"; fi

# Box filter: an output pixel is the mean of its 3x3 block of the decoded JPEG (rounded to 8 bits).
for xy in "0 0" "5 4" "31 23" "17 9"; do
  read -r x y <<<"$xy"
  got="$(im "$out/rgb/val/a-photo.png" -format "%[fx:255*p{$x,$y}.r] %[fx:255*p{$x,$y}.g] %[fx:255*p{$x,$y}.b]" info:)"
  want="$(im "$a/photo.jpg" -crop "3x3+$((3 * x))+$((3 * y))" +repage \
    -format '%[fx:255*mean.r] %[fx:255*mean.g] %[fx:255*mean.b]' info:)"
  grey="$(im "$out/grey/val/a-photo.png" -format "%[fx:255*p{$x,$y}]" info:)"
  awk -v g="$got" -v w="$want" -v k="$grey" 'BEGIN {
      split(g, G, " "); split(w, W, " ")
      for (i = 1; i <= 3; i++) if (G[i] - W[i] > 0.51 || W[i] - G[i] > 0.51) exit 1
      l = 0.299 * W[1] + 0.587 * W[2] + 0.114 * W[3]
      exit (k - l > 0.6 || l - k > 0.6) ? 2 : 0 }' ||
    fail "pixel ($x,$y): rgb $got grey $grey, want the 3x3 block mean $want (grey its Rec. 601 luma)"
done
# Full size: the 16-bit PNG's pixels, rounded to 8 bits.
got="$(im "$out/rgb/train/a-big16.png" -format '%[fx:255*p{7,11}.g]' info:)"
want="$(im "$a/big16.png" -format '%[fx:255*p{7,11}.g]' info:)"
awk -v g="$got" -v w="$want" 'BEGIN { exit (g - w > 0.51 || w - g > 0.51) }' || fail "big16 pixel $got, want $want"

# Splits: every photograph in exactly one; the grey set has the RGB names plus the mono ones.
names() { (cd "$out/$1" && find train val -name '*.png' | sed 's|.*/||' | sort); }
[[ "$(names rgb | uniq -d)" == "" && "$(names grey | uniq -d)" == "" ]] || fail "a photograph is in both splits"
[[ "$(names rgb | tr '\n' ' ')" == "a-big16.png a-odd.png a-photo.png " ]] || fail "rgb set: $(names rgb | tr '\n' ' ')"
[[ "$(names grey | tr '\n' ' ')" == "a-big16.png a-odd.png a-photo.png b-mono.png " ]] || fail "grey set: $(names grey | tr '\n' ' ')"
for f in "$out"/rgb/*/*.png; do
  [[ -f "$out/grey/${f#"$out/rgb/"}" ]] || fail "$(basename "$f") is not in the same split of the grey set"
done
grep -q 'rgb   train  2 photographs' "$tmp/log1" || fail "summary: $(cat "$tmp/log1")"
grep -q 'grey  train  3 photographs' "$tmp/log1" || fail "summary: $(cat "$tmp/log1")"

# Idempotent: nothing converted, no byte changed.
sums() { (cd "$out" && find rgb grey -type f | sort | xargs sha256sum); }
before="$(sums)"
"$script" --from "$in" --list "$tmp/list" "$out" >"$tmp/log2" || fail "second run failed"
grep -q '0 converted, 4 up to date' "$tmp/log2" || fail "second run: $(tail -n 1 "$tmp/log2")"
[[ "$(sums)" == "$before" ]] || fail "a second run changed the outputs"
rm -rf "$out/rgb/val/a-photo.png"
"$script" --from "$in" --list "$tmp/list" "$out" >/dev/null || fail "third run failed"
[[ "$(sums)" == "$before" ]] || fail "a re-made output differs from the first one"

# A changed list: a-photo moves to train, a-odd leaves the list.
sed -e 's/^a-photo\(.*\) val /a-photo\1 train /' -e '/^a-odd/d' "$tmp/list" >"$tmp/list2"
"$script" --from "$in" --list "$tmp/list2" "$out" >/dev/null || fail "run with the changed list failed"
[[ -f "$out/rgb/train/a-photo.png" && ! -e "$out/rgb/val/a-photo.png" && -f "$out/grey/train/a-photo.png" &&
  ! -e "$out/grey/val/a-photo.png" ]] || fail "a-photo did not move to train"
[[ -z "$(find "$out" -name 'a-odd*')" ]] || fail "a-odd is still there after leaving the list"

# Errors: one line on stderr, non-zero exit, nothing made.
expect_error() {  # WHAT PATTERN LIST-LINE
  printf '%s\n' "$3" >"$tmp/bad.list"
  if "$script" --from "$in" --list "$tmp/bad.list" "$tmp/bad-out" >/dev/null 2>"$tmp/err"; then
    fail "$1: succeeded"
  fi
  [[ "$(wc -l <"$tmp/err")" == 1 ]] || fail "$1: want one line of error, got: $(cat "$tmp/err")"
  grep -q "$2" "$tmp/err" || fail "$1: error '$(cat "$tmp/err")' does not say '$2'"
}
expect_error "JPEG factor 2" "factor >= 3" "x pkg-a usr/share/p/photo.jpg photo train 2 -"
expect_error "missing file" "has no usr/share/p/none.jpg" "x pkg-a usr/share/p/none.jpg photo train 3 -"
expect_error "wrong sha256" "sha256" "x pkg-a usr/share/p/photo.jpg photo train 3 $(printf '0%.0s' {1..64})"
expect_error "grey source as photo" "kind mono" "x pkg-b img/mono.jpg photo train 3 -"
expect_error "bad split" "split must be" "x pkg-a usr/share/p/photo.jpg photo test 3 -"
expect_error "short line" "7 columns" "x pkg-a usr/share/p/photo.jpg photo train"
expect_error "path with .." "relative" "x pkg-a ../in/pkg-a/usr/share/p/photo.jpg photo train 3 -"
[[ -z "$(find "$tmp/bad-out" -name '*.png' 2>/dev/null)" ]] || fail "a failed run wrote PNGs"

[[ "$(cat "$tmp/sentinel")" == "do not touch" ]] || fail "a file beside OUT_DIR changed"
[[ -z "$(find "$in" -newer "$tmp/sentinel" ! -type d)" ]] || fail "the --from tree was written to"
[[ -z "$(find "$out" -name '.tmp.*')" ]] || fail "temporary files left in OUT_DIR"
echo "photo_data_test: passed"
