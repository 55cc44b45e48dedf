#!/usr/bin/env bash
# kill -9 a training run at several points, continue it, and compare with a run never killed.
#
#   bench/kill_resume.sh            the table of kill points and outcomes (about 2 minutes)
#
# For each point the run is killed as soon as the point is reached, then continued: with
# --resume when the folder holds a run, else (killed before run.json existed) started again
# with the same command. A point passes when the continued run exits 0 with status
# "finished", metrics.jsonl records every epoch exactly once, no temporary file is left, and
# model/weights.safetensors is byte for byte the uninterrupted run's (fixed seeds, and a resume
# continues bit-exactly).
set -uo pipefail
cd "$(dirname "$0")/.."
./graft --version > /dev/null || exit 1 # builds the jar when needed
graft() { java -Dai.djl.offline=true -jar target/graft.jar "$@"; }
export GRAFT_OFFLINE=1
# convnet on 3,000 images: a few seconds per epoch, so each kill lands where it is aimed
args=(pretrain --data fashion-mnist-small --arch convnet --epochs 4 --shots 300 --schedule constant -q)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
graft "${args[@]}" --out "$work/ref" > /dev/null 2>&1 || { echo "reference run failed" >&2; exit 1; }
ref=$(sha256sum < "$work/ref/model/weights.safetensors")

epochs_logged() { [ -f "$1/metrics.jsonl" ] && grep -c '"event":"epoch"' "$1/metrics.jsonl" || echo 0; }

# name | condition on the run folder $d that triggers the kill
points=(
  "at start-up, before run.json|true"
  "after run.json, in epoch 1|[ -f \$d/run.json ]"
  "while last/ is being written (staging folder present)|[ -d \$d/last.partial ]"
  "after epoch 1's checkpoint|[ -f \$d/last/trainer.json ]"
  "after epoch 2's metrics line|[ \$(epochs_logged \$d) -ge 2 ]"
  "during the final test evaluation|[ \$(epochs_logged \$d) -ge 4 ]"
)
echo "| kill -9 | continued with | exit | epochs in metrics.jsonl | weights = uninterrupted run's |"
echo "|---|---|---|---|---|"
failed=0
for p in "${points[@]}"; do
  name=${p%%|*}
  cond=${p#*|}
  d="$work/run-$RANDOM"
  # java itself in the background (not a shell function), so kill -9 reaches the JVM
  java -Dai.djl.offline=true -jar target/graft.jar "${args[@]}" --out "$d" > /dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 6000); do
    if eval "$cond" 2> /dev/null; then break; fi
    kill -0 $pid 2> /dev/null || break
    sleep 0.005
  done
  kill -9 $pid 2> /dev/null
  wait $pid 2> /dev/null
  if [ -f "$d/run.json" ]; then how="--resume"; else how="the same command"; fi
  if [ "$how" = "--resume" ]; then
    graft "${args[@]}" --out "$d" --resume > "$work/out" 2>&1; code=$?
  else
    graft "${args[@]}" --out "$d" > "$work/out" 2>&1; code=$?
  fi
  epochs=$(grep -o '"event":"epoch","epoch":[0-9]*' "$d/metrics.jsonl" 2> /dev/null \
    | sed 's/.*://' | tr '\n' ' ')
  same="no"
  [ -f "$d/model/weights.safetensors" ] && [ "$(sha256sum < "$d/model/weights.safetensors")" = "$ref" ] && same="yes"
  left=$(find "$d" -name '*.tmp' -o -name '*.partial' | wc -l)
  status=$(grep -o '"status" : "[a-z]*"' "$d/run.json" 2> /dev/null | sed 's/.*: //')
  echo "| $name | $how | $code ($status) | ${epochs% } | $same |"
  if [ $code -ne 0 ] || [ "$same" != "yes" ] || [ "${epochs% }" != "1 2 3 4" ] || [ "$left" -ne 0 ]; then
    failed=$((failed + 1))
    sed 's/^/    /' "$work/out" >&2
  fi
done
echo
echo "$(( ${#points[@]} - failed )) of ${#points[@]} kill points continued to the uninterrupted run's weights"
exit $failed
