#!/usr/bin/env bash
# graft vs the PyTorch peer: training throughput of one architecture at one batch size, measured
# side by side in one run, alternating graft / peer ROUNDS times so machine noise hits both alike.
#   bench/compare_throughput.sh [ROUNDS] [STEPS] [BATCH] [ARCH]
# ARCH: convnet (default) or resnet18 (28x28 Fashion-MNIST, small stem; try STEPS 20).
# PEER_MALLOC=graft runs the peer with the malloc settings ./graft gives the JVM (one arena,
# freed memory kept), to show how much of the ratio they account for; GRAFT_MALLOC=glibc runs
# graft as before them (two arenas, glibc's own mmap and trim thresholds).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}; steps=${2:-150}; batch=${3:-128}; arch=${4:-convnet}
py=/usr/bin/python3
peer_env=(); graft_env=()
[ "${PEER_MALLOC:-}" = graft ] && peer_env=(MALLOC_ARENA_MAX=1
  GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=17179869184)
[ "${GRAFT_MALLOC:-}" = glibc ] && graft_env=(MALLOC_ARENA_MAX=2 GLIBC_TUNABLES=glibc.malloc.perturb=0)
$py -c 'import torch' 2>/dev/null || { echo "needs Debian's python3-torch: apt-get install -y python3-torch" >&2; exit 2; }
./graft --version >/dev/null
g_all=(); p_all=()
for r in $(seq 1 "$rounds"); do
  g=$(env "${graft_env[@]}" ./graft bench --arch "$arch" --batch-size "$batch" --steps "$steps" --epochs 3 --json -q \
      | $py -c 'import json,sys; print(json.load(sys.stdin)["train_images_per_second"])')
  p=$(env "${peer_env[@]}" $py bench/peer_convnet.py --arch "$arch" --steps "$steps" --epochs 3 --batch-size "$batch" --json \
      | $py -c 'import json,sys; print(json.load(sys.stdin)["train_images_per_second"])')
  printf 'round %d: graft %8.0f images/s   pytorch %8.0f images/s   ratio %.2fx\n' "$r" "$g" "$p" \
      "$($py -c "print($g/$p)")"
  g_all+=("$g"); p_all+=("$p")
done
$py - "${g_all[*]}" "${p_all[*]}" "$arch" "$batch" <<'PY'
import sys, statistics as s
g = [float(v) for v in sys.argv[1].split()]; p = [float(v) for v in sys.argv[2].split()]
print(f"median: graft {s.median(g):,.0f} images/s, pytorch {s.median(p):,.0f} images/s, "
      f"ratio {s.median(g) / s.median(p):.2f}x ({sys.argv[3]}, batch {sys.argv[4]}, 2 epochs after warm-up, "
      f"{len(g)} rounds)")
PY
