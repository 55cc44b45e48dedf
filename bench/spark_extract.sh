#!/usr/bin/env bash
# graft extract against graft spark extract (local[1], local[2]) on the same checkpoint and
# dataset, alternating, ROUNDS rounds; wall time of each whole command (JVM and Spark start-up
# included) and images/s over the dataset's train + test images; for Spark also the job's own
# time (from submitting the job to the finished Parquet folder, session start-up excluded).
# Usage: bench/spark_extract.sh MODEL [DATA] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
model="$1"; data="${2:-fashion-mnist}"; rounds="${3:-2}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$here/graft" --version >/dev/null 2>&1 || true
"$here/graft" spark --version >/dev/null 2>&1 || true   # builds graft-spark once
lscpu | grep -m1 "Model name" || true
run() { # name command...
  local name="$1"; shift
  local t0 t1 n
  t0=$(date +%s.%N)
  "$@" >"$out/$name.log" 2>&1
  t1=$(date +%s.%N)
  n=$(grep -o '[0-9,]* codes' "$out/$name.log" | tr -d ', codes' | paste -sd+ | bc)
  printf "%-8s %6.1f s  %6.0f images/s  (%s images)  %s\n" "$name" "$(echo "$t1 - $t0" | bc)" \
    "$(echo "$n / ($t1 - $t0)" | bc -l)" "$n" \
    "$(grep -o 'on local.*images/s' "$out/$name.log" | sed 's/^/job: /' || true)"
}
for r in $(seq 1 "$rounds"); do
  echo "round $r"
  rm -rf "$out/x" "$out/s1" "$out/s2"
  run single "$here/graft" extract --model "$model" --data "$data" --out "$out/x"
  run local1 "$here/graft" spark extract --model "$model" --data "$data" --master 'local[1]' --out "$out/s1"
  run local2 "$here/graft" spark extract --model "$model" --data "$data" --master 'local[2]' --out "$out/s2"
done
