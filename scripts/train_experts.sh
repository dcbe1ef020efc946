#!/usr/bin/env bash
# Trains (or continues) the MuJoCo TRPO experts of models/experts/, one task after another.
# Usage: scripts/train_experts.sh [IMITATE] TASK:ITERATIONS...
#   e.g. scripts/train_experts.sh halfcheetah:500 walker2d:500
# Each run keeps models/experts/TASK.pt.ckpt every iteration and is started with --resume, so
# a killed chain is continued by running the same command again.
set -euo pipefail
imitate=./build/imitate
if [[ $# -gt 0 && -x "$1" ]]; then imitate=$1; shift; fi
[[ $# -gt 0 ]] || { echo "usage: $0 [IMITATE] TASK:ITERATIONS..." >&2; exit 2; }
dir=models/experts
for spec in "$@"; do
  task=${spec%%:*}
  iterations=${spec##*:}
  [[ "$task" != "$spec" && "$iterations" =~ ^[0-9]+$ ]] || { echo "$0: bad spec '$spec' (TASK:ITERATIONS)" >&2; exit 2; }
  echo "$(date -u +%FT%TZ) $task to iteration $iterations" >&2
  "$imitate" expert --env "$task" --batch-steps 50000 --envs 50 --iterations "$iterations" \
    --seed 1 --out "$dir/$task.pt" --resume --json > "$dir/$task.json.tmp" 2>> "$dir/$task.log"
  mv "$dir/$task.json.tmp" "$dir/$task.json"
done
