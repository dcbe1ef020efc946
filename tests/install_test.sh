#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, the prefix moved elsewhere, then the installed lbb
# used from another directory with no model variables set: it finds its shipped models relative
# to itself, compresses and decompresses Fashion-MNIST images bit for bit, `lbb --help` starts
# fast, and `lbb train` reaches the installed lbb-train (or, in a build without LibTorch, says
# that it needs it).
#
# usage: tests/install_test.sh BUILD_DIR   (run by ctest)
set -euo pipefail
build="$1"
fail() { echo "install_test: $*" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/first" >/dev/null
mv "$tmp/first" "$tmp/moved"
lbb="$tmp/moved/bin/lbb"
[[ -x "$lbb" ]] || fail "no bin/lbb under the prefix"
ls "$tmp/moved/share/lbb/models/"*.lbbm >/dev/null || fail "no models under share/lbb/models"
mkdir "$tmp/work" && cd "$tmp/work"
run() { env -u LBB_MODEL -u LBB_MODEL_PATH "$lbb" "$@"; }

start=$(date +%s%N)
run --help >/dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "installed lbb --help: ${ms} ms"
(( ms < 500 )) || fail "lbb --help took ${ms} ms"

run compress fmnist:test:30 -o t.lbb 2>/dev/null || fail "installed lbb cannot compress"
run decompress t.lbb -o t.idx 2>/dev/null || fail "installed lbb cannot decompress its own file"
original="/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
cmp <(tail -c +17 t.idx) <(zcat "$original" | head -c $((16 + 784 * 30)) | tail -c +17) ||
  fail "decoded images differ from the originals"
echo "installed lbb: 30 images compressed into $(stat -c %s t.lbb) bytes and decoded bit for bit"

if [[ -x "$tmp/moved/bin/lbb-train" ]]; then
  run train --help >/dev/null || fail "lbb train does not reach the installed lbb-train"
else
  if run train --help 2>err; then fail "lbb train ran without lbb-train"; fi
  grep -q "needs lbb-train" err || fail "lbb train without lbb-train: $(cat err)"
fi
echo "install_test: passed"
