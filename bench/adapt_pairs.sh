#!/usr/bin/env bash
# The README's adaptation table: every method, 3 seeds, on MNIST -> optical digits and on a
# Fashion-MNIST shift, from source models trained here; the explore table (each stage's codes of
# the other domain, clustered); then the PyTorch peer (source-only, CORAL, DANN) on the digits,
# PEER_SEEDS seeds (default: as many), from source models of its own and from graft's.
#   bench/adapt_pairs.sh [OUT] [EPOCHS] [SEEDS] [SHIFT]
# Defaults: /tmp/graft-adapt, 2 adaptation epochs, 3 seeds, fashion-mnist-small:noise=0.4.
# About an hour on 2 cores. Figures go to OUT/*.json; the tables print as they finish.
# EPOCH_COST=--no-epoch-cost leaves out the side-by-side timing (for a busy machine); running
# again without it adds the timing to the finished cells.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/graft-adapt}
epochs=${2:-2}
seeds=${3:-3}
shift_name=${4:-fashion-mnist-small:noise=0.4}
mkdir -p "$out"
export GRAFT_OFFLINE=1
graft() { ${GRAFT:-./graft} "$@"; }  # GRAFT="java -jar frozen.jar" keeps a rebuild out of a long run
grep -m1 'model name' /proc/cpuinfo
pair() { # NAME SOURCE TARGET
  local name=$1 source=$2 target=$3
  [ -f "$out/$name-source/model/model.json" ] || graft pretrain --data "$source" --arch convnet \
      --epochs 5 --out "$out/$name-source" -q
  graft adapt --model "$out/$name-source/model" --target "$target" --epochs "$epochs" \
      --seeds "$seeds" --out "$out/$name" -q --json ${EPOCH_COST:-} > "$out/$name.json"
  graft adapt --model "$out/$name-source/model" --target "$target" --epochs "$epochs" \
      --seeds "$seeds" --out "$out/$name" -q   # the finished cells again, as a table
}
pair digits mnist optdigits
pair fashion fashion-mnist-small "$shift_name"
# unsupervised transfer: how each stage's codes of the other domain cluster (the README's table)
explore() { # NAME MODEL DATA
  local dirs=""
  for s in stage1 stage2 stage3; do
    [ -d "$out/codes-$1-$s" ] || graft extract --model "$2" --stage $s --data "$3" \
        --out "$out/codes-$1-$s" -q
    dirs="$dirs${dirs:+,}$out/codes-$1-$s"
  done
  graft explore --codes "$dirs" --k 10 --out "$out/explore-$1" -q --json > "$out/explore-$1.json"
  graft explore --codes "$dirs" --k 10 --out "$out/explore-$1" -q
}
explore digits-optdigits "$out/digits-source/model" optdigits
explore fashion-mnist "$out/fashion-source/model" mnist
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  for d in mnist optdigits; do
    dir="$out/idx-${d//[:=]/_}"
    [ -d "$dir" ] || graft data subset --data "$d" --all --out "$dir" -q
  done
  /usr/bin/python3 bench/adapt_peer.py --source "$out/idx-mnist" --target "$out/idx-optdigits" \
      --epochs "$epochs" --seeds "${PEER_SEEDS:-$seeds}" --json | tee "$out/peer-digits.json"
  # the same comparison from graft's own source model: seeds vary the adaptation only, as in graft
  /usr/bin/python3 bench/adapt_peer.py --source "$out/idx-mnist" --target "$out/idx-optdigits" \
      --source-model "$out/digits-source/model" --epochs "$epochs" \
      --seeds "${PEER_SEEDS:-$seeds}" --json | tee "$out/peer-digits-same-source.json"
else
  echo "the PyTorch peer needs Debian's python3-torch; skipped" >&2
fi
