#!/usr/bin/env bash
# Data-parallel `lbb train` over c10d/Gloo on loopback (src/train/distributed.h):
#  1. 2 ranks x 40 steps end with bit-identical parameters on both ranks (fingerprints) and
#     with the model of 1 process x 40 steps on the same global batches (eval bits/dim equal
#     to 1e-5: the same arithmetic but the all-reduce's sum order);
#  2. 20 steps on 2 ranks resumed to 40 in 1 process: the model of 20 steps in 1 process
#     resumed to 40 (a resumed run draws its batches from a generator seeded by the step);
#  3. a rank killed mid-run makes the other exit non-zero within the timeout, with one line
#     naming its rank, and no model is written;
#  4. a batch that does not split over the ranks is refused.
# Usage: train_distributed_test.sh BUILD_DIR
set -euo pipefail
build="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lbb="$build/lbb"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cfg="$root/tests/data/fuzz_model.cfg"
train=(train --config "$cfg" --data fmnist:train:512 --patch 8 --threads 1 --checkpoint-minutes 100)
port=$((20000 + RANDOM % 20000))
bpd() { "$lbb" eval --model "$1" --data fmnist:test:50 --json --threads 1 | grep -o '"bpd": [0-9.]*' | cut -d' ' -f2; }
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-5) }'; }

"$lbb" "${train[@]}" --steps 40 --out "$tmp/one.lbbm" 2>/dev/null
MASTER_PORT=$port "$root/scripts/train_local.sh" 2 "$lbb" "${train[@]}" --steps 40 --out "$tmp/two.lbbm" 2>"$tmp/rank0.log"
f0=$(grep -o 'rank 0: parameters fingerprint [0-9a-f]*' "$tmp/rank0.log" | awk '{print $5}')
f1=$(grep -o 'rank 1: parameters fingerprint [0-9a-f]*' "$tmp/two.lbbm.rank1.log" | awk '{print $5}')
[[ -n "$f0" && "$f0" == "$f1" ]] || { echo "FAIL: the ranks' parameters differ ($f0 / $f1)"; exit 1; }
one=$(bpd "$tmp/one.lbbm")
two=$(bpd "$tmp/two.lbbm")
close "$one" "$two" || { echo "FAIL: 1 process $one bits/dim, 2 ranks $two"; exit 1; }
echo "ok 1: 1 process $one, 2 ranks $two bits/dim"

MASTER_PORT=$((port + 1)) "$root/scripts/train_local.sh" 2 "$lbb" "${train[@]}" --steps 20 --out "$tmp/r2.lbbm" 2>/dev/null
"$lbb" "${train[@]}" --steps 40 --resume --out "$tmp/r2.lbbm" 2>/dev/null
"$lbb" "${train[@]}" --steps 20 --out "$tmp/r1.lbbm" 2>/dev/null
"$lbb" "${train[@]}" --steps 40 --resume --out "$tmp/r1.lbbm" 2>/dev/null
from_two=$(bpd "$tmp/r2.lbbm")
from_one=$(bpd "$tmp/r1.lbbm")
close "$from_one" "$from_two" || { echo "FAIL: resumed from 2 ranks $from_two, from 1 process $from_one"; exit 1; }
echo "ok 2: 20 steps (2 ranks / 1 process) resumed to 40 in 1 process: $from_two / $from_one"

export LBB_DIST_TIMEOUT=20 MASTER_PORT=$((port + 2)) WORLD_SIZE=2
RANK=1 "$lbb" "${train[@]}" --steps 100000 --out "$tmp/k.lbbm" 2>/dev/null &
victim=$!
RANK=0 "$lbb" "${train[@]}" --steps 100000 --out "$tmp/k.lbbm" 2>"$tmp/k.err" &
survivor=$!
sleep 3
kill -9 "$victim"
start=$(date +%s)
status=0
wait "$survivor" || status=$?
took=$(($(date +%s) - start))
[[ $status -ne 0 ]] || { echo "FAIL: rank 0 exited 0 after its peer was killed"; exit 1; }
((took <= 20)) || { echo "FAIL: rank 0 took ${took}s to fail (timeout 20)"; exit 1; }
[[ $(grep -c . "$tmp/k.err" | tail -1) -ge 1 ]] && grep -q "error: rank 0 of 2: " "$tmp/k.err" ||
  { echo "FAIL: no one-line error naming the rank:"; cat "$tmp/k.err"; exit 1; }
[[ ! -e "$tmp/k.lbbm" ]] || { echo "FAIL: a model was written"; exit 1; }
echo "ok 3: killed peer -> rank 0 failed in ${took}s: $(grep 'error:' "$tmp/k.err")"

if RANK=0 WORLD_SIZE=3 MASTER_PORT=$((port + 3)) "$lbb" "${train[@]}" --steps 1 --batch 64 --out "$tmp/b.lbbm" 2>"$tmp/b.err"; then
  echo "FAIL: a batch of 64 over 3 ranks was accepted"; exit 1
fi
grep -q "does not split over 3 ranks" "$tmp/b.err" || { cat "$tmp/b.err"; exit 1; }
echo "ok 4: $(grep error "$tmp/b.err")"
