#!/usr/bin/env bash
# Training throughput of the C++ model (build/bench_flow) against the same architecture in
# PyTorch (bench/bench_flow_pytorch.py on Debian's python3-torch, the same LibTorch 1.13),
# run side by side on this machine: alternating C++, PyTorch, C++, PyTorch, ... with the same
# config, thread count and seconds per run. Prints images/s of both and the ratio C++/PyTorch.
#
#   bench/compare_training_throughput.sh [--config C] [--threads N] [--seconds S] [--rounds R]
#                                        [--bench PATH] [--python PATH] [--json]
#
# Defaults: the shipped config, all cores, 20 s of training per run, 2 rounds. Each run also
# measures forward-only throughput (another S seconds, as bench_flow always does); those
# ratios are reported too. Both processes run with OPENBLAS_NUM_THREADS=1, as the `lbb` CLI
# sets (bench_flow itself does not call openblas_set_num_threads). Progress goes to stderr;
# with --json, stdout is a single JSON object. Exit status 1 if the parameter counts differ.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

config="$root/configs/fmnist_flowpp.cfg"
threads="$(nproc)"
seconds=20
rounds=2
bench="$root/build/bench_flow"
python=/usr/bin/python3
json=0
usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --config) config="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --bench) bench="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --json) json=1; shift ;;
    -h|--help) usage ;;
    *) echo "compare_training_throughput: unknown argument '$1'" >&2; usage ;;
  esac
done

if [[ ! -x "$bench" ]]; then
  echo "compare_training_throughput: $bench not found; build it with" >&2
  echo "  cmake --build $root/build --target bench_flow" >&2
  exit 2
fi
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "compare_training_throughput: $python has no torch (use Debian's /usr/bin/python3 with python3-torch)" >&2
  exit 2
fi
[[ -r "$config" ]] || { echo "compare_training_throughput: cannot read $config" >&2; exit 2; }

export OPENBLAS_NUM_THREADS=1
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

read -r load1 _ < /proc/loadavg
echo "config $config, $threads threads, ${seconds} s per run, $rounds rounds; load average $load1 before start" >&2

for ((r = 1; r <= rounds; ++r)); do
  echo "round $r/$rounds: C++ ..." >&2
  "$bench" --config "$config" --threads "$threads" --seconds "$seconds" --json > "$out/cpp_$r.json"
  echo "  $(cat "$out/cpp_$r.json")" >&2
  echo "round $r/$rounds: PyTorch ..." >&2
  "$python" "$root/bench/bench_flow_pytorch.py" --config "$config" --threads "$threads" \
    --seconds "$seconds" --json > "$out/py_$r.json"
  echo "  $(cat "$out/py_$r.json")" >&2
done

"$python" - "$out" "$rounds" "$json" <<'EOF'
import json, statistics, sys

out, rounds, as_json = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
cpp = [json.load(open("%s/cpp_%d.json" % (out, r))) for r in range(1, rounds + 1)]
py = [json.load(open("%s/py_%d.json" % (out, r))) for r in range(1, rounds + 1)]
keys = ["train_images_per_s", "forward_images_per_s_batch1", "forward_images_per_s_batch64"]

def mean(runs, k):
    return statistics.mean(run[k] for run in runs)

summary = {
    "config": cpp[0]["config"], "threads": cpp[0]["threads"], "batch": cpp[0]["batch"],
    "rounds": rounds,
    "parameters": {"cpp": cpp[0]["parameters"], "pytorch": py[0]["parameters"]},
    "parameters_match": cpp[0]["parameters"] == py[0]["parameters"],
}
for k in keys:
    c, p = mean(cpp, k), mean(py, k)
    summary[k] = {"cpp": round(c, 2), "pytorch": round(p, 2), "ratio": round(c / p, 4),
                  "cpp_runs": [run[k] for run in cpp], "pytorch_runs": [run[k] for run in py],
                  "ratio_per_round": [round(a[k] / b[k], 4) for a, b in zip(cpp, py)]}
summary["train_ratio_cpp_over_pytorch"] = summary["train_images_per_s"]["ratio"]
summary["cpp_at_least_pytorch"] = summary["train_ratio_cpp_over_pytorch"] >= 1.0

if as_json:
    print(json.dumps(summary))
else:
    t = summary["train_images_per_s"]
    print("parameters:  C++ %d, PyTorch %d (%s)" % (cpp[0]["parameters"], py[0]["parameters"],
          "match" if summary["parameters_match"] else "MISMATCH"))
    print("training (batch %d, %d threads, mean of %d runs each):" %
          (summary["batch"], summary["threads"], rounds))
    print("  C++      %8.1f images/s   runs: %s" % (t["cpp"], " ".join("%.1f" % v for v in t["cpp_runs"])))
    print("  PyTorch  %8.1f images/s   runs: %s" % (t["pytorch"], " ".join("%.1f" % v for v in t["pytorch_runs"])))
    print("  ratio C++/PyTorch: %.3f   per round: %s" %
          (t["ratio"], " ".join("%.3f" % v for v in t["ratio_per_round"])))
    for k, label in ((keys[1], "forward, batch 1 "), (keys[2], "forward, batch 64")):
        f = summary[k]
        print("%s: C++ %.1f, PyTorch %.1f images/s, ratio %.3f" % (label, f["cpp"], f["pytorch"], f["ratio"]))
sys.exit(0 if summary["parameters_match"] else 1)
EOF
