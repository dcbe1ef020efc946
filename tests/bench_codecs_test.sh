#!/usr/bin/env bash
# scripts/bench_codecs.py on two small images (grey and RGB, one with a gAMA chunk): every codec
# runs and round-trips, the CSV has a row per image and codec with bits/dim = 8 x bytes / dims,
# the table a row per codec, the plot is a PNG; a codec whose decode differs stops the run with
# an error naming it; DIR is left untouched.
#
# usage: tests/bench_codecs_test.sh BUILD_DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "$1" && pwd)"
fail() { echo "bench_codecs_test: $*" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/in"
convert -limit thread 1 -size 40x30 gradient:black-white -seed 4 +noise Gaussian -colorspace Gray \
  -depth 8 -define png:color-type=0 "PNG:$tmp/in/grey.png"
convert -limit thread 1 -size 36x28 gradient:'#c03020-#2060e0' -seed 5 +noise Uniform -depth 8 -set gamma 0.45455 \
  "PNG24:$tmp/in/rgb.png"
before="$(cd "$tmp/in" && sha256sum *)"
codecs="lbb,optipng -o5,cwebp -z 9,cjxl -e 7,cjxl -e 9,opj_compress"
python3 "$root/scripts/bench_codecs.py" "$tmp/in" --out "$tmp/out" --lbb "$build/lbb" --codecs "$codecs" \
  >"$tmp/stdout" 2>"$tmp/stderr" || fail "run failed: $(cat "$tmp/stderr")"
[[ "$(cd "$tmp/in" && sha256sum *)" == "$before" ]] || fail "DIR was changed"
rows=$(($(wc -l <"$tmp/out/codecs.csv") - 1))
((rows == 12)) || fail "codecs.csv has $rows rows, expected 2 images x 6 codecs"
python3 - "$tmp/out/codecs.csv" <<'PY' || fail "codecs.csv figures are inconsistent"
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    dims = int(r["width"]) * int(r["height"]) * int(r["channels"])
    assert abs(float(r["bpd"]) - 8 * int(r["bytes"]) / dims) < 1e-5, r
    assert int(r["channels"]) == (1 if r["image"] == "grey.png" else 3), r
    assert float(r["encode_s"]) > 0, r
PY
table=$(grep -c '^| [a-z]' "$tmp/out/codecs.md")
((table == 7)) || fail "codecs.md has $table rows, expected a header and 6 codecs"
grep -q "cjxl -e 9" "$tmp/stdout" || fail "table not printed"
[[ "$(head -c 4 "$tmp/out/codecs.png" | tail -c 3)" == PNG ]] || fail "no PNG plot"

# A codec that does not decode exactly is an error naming it (an lbb stand-in whose decompress
# writes other pixels).
cat >"$tmp/bad_lbb" <<'SH'
#!/usr/bin/env bash
if [[ "$1" == compress ]]; then cp "$2" "$4"; else convert -size 40x30 xc:gray "PNG:$4/grey.png"; fi
SH
chmod +x "$tmp/bad_lbb"
if python3 "$root/scripts/bench_codecs.py" "$tmp/in" --out "$tmp/out2" --lbb "$tmp/bad_lbb" --codecs lbb \
  >/dev/null 2>"$tmp/err"; then
  fail "a wrong decode was not noticed"
fi
grep -q "lbb did not decode grey.png exactly" "$tmp/err" || fail "unexpected error: $(cat "$tmp/err")"
echo "bench_codecs_test: ok"
