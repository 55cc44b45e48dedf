#!/usr/bin/env bash
# Where a training step's time goes, per engine operator, in graft and in the PyTorch peer, side
# by side: both record the epochs after a warm-up epoch with libtorch's profiler and list the
# operators of most self time (an operator's time less the operators it called) per step.
#   bench/profile_step.sh [ARCH] [STEPS] [BATCH] [TOP]
# ARCH: convnet (default) or resnet18. The profiler slows both down (graft's, DJL's legacy
# profiler, more so): read the tables against each other, not as absolute speeds. graft's Chrome
# trace stays in runs/profile-ARCH.json (chrome://tracing).
# libtorch's profiler, as DJL starts it, makes graft fault memory in again (about 20,000 faults a
# step under it, against a few without; with the launcher's one malloc arena, 37,000): graft runs
# here with two arenas, where it disturbs it least, and its memory-bound rows are upper bounds.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-convnet}; steps=${2:-30}; batch=${3:-128}; top=${4:-20}
py=/usr/bin/python3
mkdir -p runs
echo "== graft ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cpus)"
MALLOC_ARENA_MAX=2 ./graft bench --arch "$arch" --batch-size "$batch" --steps "$steps" --epochs 2 -q \
    --profile "runs/profile-$arch.json" --profile-top "$top" | sed -n '/^profile of/,$p'
if $py -c 'import torch' 2>/dev/null; then
  echo "== the PyTorch peer"
  $py bench/peer_convnet.py --arch "$arch" --batch-size "$batch" --steps "$steps" --epochs 2 \
      --profile "$top" 2>&1 >/dev/null | sed -n '/^profile of/,$p'
else
  echo "(the peer needs Debian's python3-torch: apt-get install -y python3-torch)"
fi
