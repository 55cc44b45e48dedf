#!/usr/bin/env bash
# Is memory flat across epochs? Trains the convnet for EPOCHS epochs of STEPS batches with graft's
# training loop and prints, per epoch, the peak RSS (native + heap) and the heap in use, then the
# change from epoch 2 to the last.
#   bench/memory_epochs.sh [EPOCHS] [STEPS] [ARCH]
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-10}; steps=${2:-200}; arch=${3:-convnet}
./graft bench --arch "$arch" --epochs "$epochs" --steps "$steps" --json -q | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(f"{r[\"architecture\"]}, batch {r[\"batch_size\"]}: epoch, images/s, peak RSS MiB, heap MiB")
for e in r["epochs"]:
    print(f"{e[\"epoch\"]:5d} {e[\"images_per_second\"]:9.0f} {e[\"peak_rss_mb\"]:10.1f} {e[\"heap_used_mb\"]:8.1f}")
e2, last = r["epochs"][1], r["epochs"][-1]
print(f"peak RSS epoch 2 -> {last[\"epoch\"]}: {e2[\"peak_rss_mb\"]:.1f} -> {last[\"peak_rss_mb\"]:.1f} MiB "
      f"({last[\"peak_rss_mb\"] - e2[\"peak_rss_mb\"]:+.1f} MiB)")
'
