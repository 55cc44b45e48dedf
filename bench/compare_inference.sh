#!/usr/bin/env bash
# graft vs the PyTorch peer (Debian's python3-torch + python3-torchvision): inference images/s of
# a torchvision architecture on random inputs, side by side in one run, alternating graft / peer
# ROUNDS times so machine noise hits both alike; the ratio of the medians is the answer.
#   bench/compare_inference.sh [ROUNDS] [ARCH] [SIZE] [BATCH] [STEPS]
# e.g. bench/compare_inference.sh 3 resnet50 224 16 8
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; arch=${2:-resnet50}; size=${3:-224}; batch=${4:-16}; steps=${5:-8}
py=/usr/bin/python3
$py -c 'import torchvision' 2>/dev/null || { echo "needs Debian's python3-torchvision: apt-get install -y python3-torchvision" >&2; exit 2; }
./graft --version >/dev/null
g_all=(); p_all=()
for r in $(seq 1 "$rounds"); do
  g=$(./graft bench --arch "$arch" --input-size "$size" --batch-size "$batch" --steps "$steps" \
      --epochs 3 --json -q | $py -c 'import json,sys; print(json.load(sys.stdin)["inference_images_per_second"])')
  p=$($py bench/peer_inference.py --arch "$arch" --size "$size" --batch-size "$batch" \
      --steps "$steps" --passes 3 | $py -c 'import json,sys; print(json.load(sys.stdin)["inference_images_per_second"])')
  printf 'round %d: graft %7.1f images/s   pytorch %7.1f images/s   ratio %.2fx\n' "$r" "$g" "$p" \
      "$($py -c "print($g/$p)")"
  g_all+=("$g"); p_all+=("$p")
done
$py - "${g_all[*]}" "${p_all[*]}" "$arch" "$size" "$batch" <<'PY'
import sys, statistics as s
g = [float(v) for v in sys.argv[1].split()]; p = [float(v) for v in sys.argv[2].split()]
print(f"median: graft {s.median(g):,.1f} images/s, pytorch {s.median(p):,.1f} images/s, "
      f"ratio {s.median(g) / s.median(p):.2f}x ({sys.argv[3]}, {sys.argv[4]}x{sys.argv[4]}, "
      f"batch {sys.argv[5]}, {len(g)} rounds)")
PY
