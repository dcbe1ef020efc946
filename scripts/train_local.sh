#!/usr/bin/env bash
# Data-parallel `lbb train` on one machine: N ranks with torchrun's variables (RANK,
# WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1, MASTER_PORT), for users without torchrun and
# for the tests. Rank 0's output is shown; the others' go to OUT.rank<i>.log. If a rank fails,
# the others are stopped and the first failure's status is returned.
#   scripts/train_local.sh N [lbb] train --config C --data D --out M [...]
#   MASTER_PORT=29500 LBB_DIST_TIMEOUT=300 scripts/train_local.sh 2 build/lbb train ...
set -uo pipefail
if (($# < 2)); then
  echo "usage: $0 N [LBB] train OPTIONS..." >&2
  exit 2
fi
n="$1"
shift
lbb="lbb"
if [[ "$1" != train ]]; then
  lbb="$1"
  shift
fi
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "$0: N must be a positive integer" >&2; exit 2; }
port="${MASTER_PORT:-29500}"
out=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ "${args[i]}" == --out || "${args[i]}" == -o ]] && out="${args[i + 1]:-}"
done
pids=()
for ((r = n - 1; r >= 0; r--)); do
  log=/dev/stderr
  ((r > 0)) && log="${out:-lbb-train}.rank$r.log"
  RANK=$r WORLD_SIZE=$n LOCAL_RANK=$r MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$lbb" "$@" 2>"$log" &
  pids[r]=$!
done
trap 'kill "${pids[@]}" 2>/dev/null' INT TERM
status=0
remaining=$n
while ((remaining > 0)); do
  wait -n -p done_pid
  s=$?
  remaining=$((remaining - 1))
  if ((s != 0 && status == 0)); then
    status=$s
    kill "${pids[@]}" 2>/dev/null
  fi
done
exit "$status"
