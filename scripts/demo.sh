#!/usr/bin/env bash
# The main job: set up, then evaluate the shipped Fashion-MNIST model on test images
# and draw samples from it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
lbb="$root/build/lbb"
"$lbb" eval --data fmnist:test:1000
"$lbb" sample --n 64 --out "$root/samples.png"
