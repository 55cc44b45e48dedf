#!/usr/bin/env bash
# Is memory flat across epochs? Trains the convnet for EPOCHS epochs of STEPS batches with graft's
# training loop and prints, per epoch, the peak RSS (native + heap) and the heap in use, then the
# change from epoch 2 to the last. Fix the heap to see native memory alone:
#   GRAFT_JAVA_OPTS="-Xms1g -Xmx1g" bench/memory_epochs.sh [EPOCHS] [STEPS] [ARCH]
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-10}; steps=${2:-200}; arch=${3:-convnet}
out=$(mktemp)
./graft bench --arch "$arch" --epochs "$epochs" --steps "$steps" --json -q > "$out"
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("%s, batch %d: epoch, images/s, peak RSS MiB, heap MiB" % (r["architecture"], r["batch_size"]))
for e in r["epochs"]:
    print("%5d %9.0f %10.1f %8.1f" % (e["epoch"], e["images_per_second"], e["peak_rss_mb"], e["heap_used_mb"]))
e2, last = r["epochs"][1], r["epochs"][-1]
print("peak RSS epoch 2 -> %d: %.1f -> %.1f MiB (%+.1f MiB)" % (last["epoch"], e2["peak_rss_mb"],
      last["peak_rss_mb"], last["peak_rss_mb"] - e2["peak_rss_mb"]))
PY
echo "(raw JSON: $out)"
