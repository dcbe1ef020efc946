#!/usr/bin/env bash
# Builds the photo training and validation sets (docs/photo_data.md) from the photographs shipped in
# Debian packages that the allowlist scripts/photo_data.list names; nothing else is used.
#
#   scripts/photo_data.sh [--list LIST] OUT_DIR
#       apt-get download the list's packages into OUT_DIR/debs (once), dpkg -x them into OUT_DIR/src
#   scripts/photo_data.sh --from DIR [--list LIST] OUT_DIR
#       no download: DIR/PACKAGE/PATH are the list's files (an already extracted tree; for tests)
#
# Writes OUT_DIR/rgb/{train,val}/NAME.png (8-bit RGB) and OUT_DIR/grey/{train,val}/NAME.png (8-bit
# grey, Rec. 601 luma of the same pixels), plus OUT_DIR/manifest.tsv, and prints a summary. JPEG
# sources are cropped to a multiple of their factor (top-left kept) and downscaled by that integer
# factor with a box filter (every output pixel the mean of a factor x factor block), which removes
# 8x8 block artefacts and chroma subsampling. Idempotent: an output whose source, factor and split
# are unchanged is kept; PNGs in OUT_DIR/{rgb,grey}/{train,val} that the list no longer yields are
# removed. Nothing outside OUT_DIR is written or deleted (apart from apt's own cache files).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
recipe=v1                                 # bump when the conversion changes: every output is redone
die() { echo "photo_data: error: $*" >&2; exit 1; }
usage() { die "usage: scripts/photo_data.sh [--from DIR] [--list LIST] OUT_DIR"; }

list="$root/scripts/photo_data.list"
from=""
out=""
while (($#)); do
  case "$1" in
    --from) (($# >= 2)) || usage; from="$2"; shift 2 ;;
    --list) (($# >= 2)) || usage; list="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [[ -z "$out" ]] || usage; out="$1"; shift ;;
  esac
done
[[ -n "$out" ]] || usage
[[ -f "$list" ]] || die "no allowlist $list"
[[ -z "$from" || -d "$from" ]] || die "--from $from is not a directory"
for tool in convert identify sha256sum awk; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/setup.sh installs imagemagick)"
done
if [[ -z "$from" ]]; then
  for tool in apt-get dpkg dpkg-deb; do command -v "$tool" >/dev/null || die "$tool not found"; done
fi
export MAGICK_THREAD_LIMIT=1              # modest CPU use: one thread per ImageMagick call
im() { convert -limit thread 1 "$@"; }

mkdir -p "$out" || die "cannot create $out"
out="$(cd "$out" && pwd)"
[[ "$out" != / ]] || die "OUT_DIR must not be /"
[[ -z "$from" ]] || from="$(cd "$from" && pwd)"
start=$SECONDS

# --- the allowlist ---------------------------------------------------------------------------------
names=() ; declare -A L_pkg L_path L_kind L_split L_factor L_sha P_version
lineno=0
while IFS= read -r line || [[ -n "$line" ]]; do
  lineno=$((lineno + 1))
  line="${line%%#*}"
  [[ "$line" =~ [^[:space:]] ]] || continue
  read -r -a cols <<<"$line"
  where="$list:$lineno"
  ((${#cols[@]} == 7)) || die "$where: want 7 columns (name package path kind split factor sha256), got ${#cols[@]}"
  n="${cols[0]}"
  [[ "$n" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "$where: bad name '$n'"
  [[ -z "${L_pkg[$n]+x}" ]] || die "$where: name $n listed twice"
  [[ "${cols[1]}" =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || die "$where: bad package name '${cols[1]}'"
  [[ "${cols[2]}" != /* && "/${cols[2]}/" != */../* ]] || die "$where: path must be relative, without '..'"
  [[ "${cols[3]}" == photo || "${cols[3]}" == mono ]] || die "$where: kind must be photo or mono, not '${cols[3]}'"
  [[ "${cols[4]}" == train || "${cols[4]}" == val ]] || die "$where: split must be train or val, not '${cols[4]}'"
  [[ "${cols[5]}" == - || "${cols[5]}" =~ ^[1-9][0-9]*$ ]] || die "$where: factor must be a positive integer or -"
  [[ "${cols[6]}" == - || "${cols[6]}" =~ ^[0-9a-f]{64}$ ]] || die "$where: sha256 must be 64 hex digits or -"
  names+=("$n")
  L_pkg[$n]="${cols[1]}"; L_path[$n]="${cols[2]}"; L_kind[$n]="${cols[3]}"
  L_split[$n]="${cols[4]}"; L_factor[$n]="${cols[5]}"; L_sha[$n]="${cols[6]}"
done <"$list"
((${#names[@]})) || die "$list lists no photographs"
mapfile -t packages < <(printf '%s\n' "${L_pkg[@]}" | sort -u)

# --- the packages: download once, extract once ----------------------------------------------------
if [[ -n "$from" ]]; then
  src="$from"
else
  src="$out/src"
  mkdir -p "$out/debs" "$src"
  for pkg in "${packages[@]}"; do
    shopt -s nullglob; debs=("$out/debs/${pkg}"_*.deb); shopt -u nullglob
    if ((${#debs[@]} == 0)); then
      echo "photo_data: apt-get download $pkg"
      if ! log="$(cd "$out/debs" && apt-get download -q "$pkg" 2>&1)"; then
        die "apt-get download $pkg failed: $(grep -m 1 '^E:' <<<"$log" || tail -n 1 <<<"$log") (apt-get update first?)"
      fi
      shopt -s nullglob; debs=("$out/debs/${pkg}"_*.deb); shopt -u nullglob
      ((${#debs[@]})) || die "apt-get download $pkg left no ${pkg}_*.deb in $out/debs"
    fi
    deb="" ; best=""
    for d in "${debs[@]}"; do              # more than one cached version: the newest
      v="$(dpkg-deb -f "$d" Version 2>/dev/null)" || die "$d is not a readable .deb"
      [[ "$(dpkg-deb -f "$d" Package)" == "$pkg" ]] || continue
      if [[ -z "$deb" ]] || dpkg --compare-versions "$v" gt "$best"; then deb="$d"; best="$v"; fi
    done
    [[ -n "$deb" ]] || die "no .deb of $pkg in $out/debs"
    stamp="$(basename "$deb") $(stat -c %s "$deb")"
    if [[ ! -f "$src/$pkg/.photo_data_deb" || "$(cat "$src/$pkg/.photo_data_deb")" != "$stamp" ]]; then
      echo "photo_data: dpkg -x $(basename "$deb")"
      rm -rf "${src:?}/$pkg" "$src/.x.$pkg"
      dpkg -x "$deb" "$src/.x.$pkg" || die "dpkg -x $deb failed"
      echo "$stamp" >"$src/.x.$pkg/.photo_data_deb"
      mv "$src/.x.$pkg" "$src/$pkg"
    fi
    P_version[$pkg]="$best"
  done
fi

# --- one photograph at a time ---------------------------------------------------------------------
for d in rgb/train rgb/val grey/train grey/val; do mkdir -p "$out/$d"; done
declare -A old_key
if [[ -f "$out/manifest.tsv" ]]; then
  while IFS=$'\t' read -r n key _; do [[ "$n" == name ]] || old_key[$n]="$key"; done <"$out/manifest.tsv"
fi
tmp="$(mktemp -d "$out/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
declare -A want
manifest="name"$'\t'"key"$'\t'"split"$'\t'"kind"$'\t'"package"$'\t'"path"$'\t'"format"$'\t'"depth"
manifest+=$'\t'"width"$'\t'"height"$'\t'"jpeg_quality"$'\t'"factor"$'\t'"out_width"$'\t'"out_height"$'\n'
converted=0 kept=0
for n in "${names[@]}"; do
  pkg="${L_pkg[$n]}" path="${L_path[$n]}" kind="${L_kind[$n]}" split="${L_split[$n]}"
  file="$src/$pkg/$path"
  [[ -f "$file" ]] || die "$n: $pkg has no $path"
  sha="$(sha256sum "$file" | cut -c1-64)"
  [[ "${L_sha[$n]}" == - || "${L_sha[$n]}" == "$sha" ]] ||
    die "$n: $pkg/$path has sha256 $sha, the list says ${L_sha[$n]} (another package version?)"
  info="$(identify -limit thread 1 -format '%m|%w|%h|%z|%[colorspace]|%[opaque]|%Q|%[icc:description]\n' \
    "${file}[0]" 2>/dev/null | head -n 1)" || die "$n: ImageMagick cannot read $pkg/$path"
  IFS='|' read -r fmt w h depth cs opaque q icc <<<"$info"
  case "$fmt" in JPEG|PNG) ;; *) die "$n: $pkg/$path is $fmt, not JPEG or PNG" ;; esac
  case "$cs" in
    sRGB|RGB) ;;
    Gray) [[ "$kind" == mono ]] || die "$n: $pkg/$path is a grey image: list it as kind mono" ;;
    *) die "$n: $pkg/$path has colourspace $cs (want sRGB or grey)" ;;
  esac
  [[ -z "$icc" || "$icc" == *sRGB* ]] || die "$n: $pkg/$path has a non-sRGB ICC profile ($icc)"
  [[ "${opaque,,}" == true ]] || die "$n: $pkg/$path has transparent pixels"
  factor="${L_factor[$n]}"
  if [[ "$factor" == - ]]; then [[ "$fmt" == JPEG ]] && factor=3 || factor=1; fi
  [[ "$fmt" != JPEG ]] || ((factor >= 3)) || die "$n: a JPEG source needs factor >= 3, the list says $factor"
  [[ "$fmt" == JPEG ]] || q=-
  cw=$((w - w % factor)) ch=$((h - h % factor))
  ow=$((cw / factor)) oh=$((ch / factor))
  ((ow > 0 && oh > 0)) || die "$n: ${w}x${h} is smaller than its factor $factor"
  sets=(grey); [[ "$kind" == photo ]] && sets=(rgb grey)
  key="$recipe,$kind,$split,$factor,$sha"
  for s in "${sets[@]}"; do want["$s/$split/$n.png"]=1; done
  manifest+="$n"$'\t'"$key"$'\t'"$split"$'\t'"$kind"$'\t'"$pkg"$'\t'"$path"$'\t'"$fmt"$'\t'"$depth"
  manifest+=$'\t'"$w"$'\t'"$h"$'\t'"$q"$'\t'"$factor"$'\t'"$ow"$'\t'"$oh"$'\n'
  up_to_date=1
  [[ "${old_key[$n]:-}" == "$key" ]] || up_to_date=0
  for s in "${sets[@]}"; do [[ -f "$out/$s/$split/$n.png" ]] || up_to_date=0; done
  if ((up_to_date)); then kept=$((kept + 1)); continue; fi

  # Decode (first frame, EXIF orientation applied, metadata and alpha dropped; -quiet because
  # FallenLeaf's broken XMP packet draws a warning), crop, box-average; kept at 16 bits per sample
  # until each set rounds it once to 8 bits.
  mid="$tmp/$n.miff"
  resize=()
  ((factor == 1)) || resize=(-gravity NorthWest -crop "${cw}x${ch}+0+0" +repage -filter Box -resize "${ow}x${oh}!")
  im -quiet "${file}[0]" -auto-orient -strip -alpha off "${resize[@]}" -depth 16 "MIFF:$mid" ||
    die "$n: converting $pkg/$path failed"
  # To 8 bits by rounding to nearest: "+dither -posterize 256" does that exactly, while this
  # ImageMagick's plain "-depth 8" truncates (0x600A, 95.67 levels, became 95).
  png=(+dither -posterize 256 -depth 8 -strip -define "png:exclude-chunks=date,time,gAMA,cHRM,bKGD"
    -define png:bit-depth=8)
  if [[ "$kind" == photo ]]; then
    im "$mid" -colorspace sRGB "${png[@]}" -define png:color-type=2 "PNG24:$tmp/$n.rgb.png" ||
      die "$n: writing the RGB PNG failed"
  fi
  im "$mid" -grayscale Rec601Luma "${png[@]}" -define png:color-type=0 "PNG:$tmp/$n.grey.png" ||
    die "$n: writing the grey PNG failed"
  for s in "${sets[@]}"; do
    for other in train val; do rm -f "$out/$s/$other/$n.png"; done
    mv "$tmp/$n.$s.png" "$out/$s/$split/$n.png"
  done
  rm -f "$mid"
  converted=$((converted + 1))
done

# Outputs the list no longer yields (a photograph dropped from the list or moved to the other split).
removed=0
for d in rgb/train rgb/val grey/train grey/val; do
  for f in "$out/$d"/*.png; do
    [[ -e "$f" ]] || continue
    if [[ -z "${want["$d/$(basename "$f")"]+x}" ]]; then rm -f "$f"; removed=$((removed + 1)); fi
  done
done
printf '%s' "$manifest" >"$tmp/manifest.tsv" && mv "$tmp/manifest.tsv" "$out/manifest.tsv"

# --- summary --------------------------------------------------------------------------------------
vers=""
for pkg in "${packages[@]}"; do vers+=" $pkg${P_version[$pkg]:+ ${P_version[$pkg]}};"; done
echo "photo_data: ${#names[@]} photographs from${vers%;} (list $list)"
awk -F'\t' 'NR > 1 {
    mp = $13 * $14 / 1e6
    if ($4 == "photo") { n["rgb", $3]++; m["rgb", $3] += mp }
    n["grey", $3]++; m["grey", $3] += mp
  }
  END {
    for (i = 1; i <= 2; i++) {
      s = i == 1 ? "rgb" : "grey"
      printf "  %-4s  train %2d photographs %6.2f MP   val %2d photographs %6.2f MP\n", s,
        n[s, "train"], m[s, "train"], n[s, "val"], m[s, "val"]
    }
  }' "$out/manifest.tsv"
echo "  name                 split kind  source                 factor  output"
awk -F'\t' 'NR > 1 {
    src = sprintf("%s %dx%d", $7, $9, $10)
    if ($7 == "JPEG") src = src sprintf(" q%s", $11)
    if ($8 > 8) src = src sprintf(" %d-bit", $8)
    printf "  %-20s %-5s %-5s %-22s %6s  %dx%d\n", $1, $3, $4, src, ($12 == 1 ? "-" : "/" $12), $13, $14
  }' "$out/manifest.tsv"
echo "photo_data: $converted converted, $kept up to date, $removed stale removed; $out/{rgb,grey}/{train,val}" \
  "in $((SECONDS - start)) s"
