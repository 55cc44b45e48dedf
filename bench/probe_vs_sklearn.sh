#!/usr/bin/env bash
# graft probe (LIBLINEAR logistic regression) vs scikit-learn's LogisticRegression on the same
# cached codes, side by side, alternating ROUNDS times so machine noise hits both alike.
#   bench/probe_vs_sklearn.sh CKPT [ROUNDS] [C]
# Extracts CKPT's last-stage codes of the whole Fashion-MNIST training set (60,000 x 256 for
# convnet) once into runs/bench-codes, then times, per round: graft probe at the fixed C,
# scikit-learn at the same C, and graft probe with its default search over 5 values of C (5
# fits on 80% plus the refit). Times are the fit alone (standardization included, file reading
# excluded), as each side reports it.
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt=${1:?usage: bench/probe_vs_sklearn.sh CKPT [ROUNDS] [C]}; rounds=${2:-2}; c=${3:-0.1}
py=/usr/bin/python3
$py -c 'import sklearn' 2>/dev/null || { echo "needs Debian's python3-sklearn: apt-get install -y python3-sklearn" >&2; exit 2; }
codes=runs/bench-codes
if [ ! -f "$codes/train.safetensors" ]; then
  rm -rf "$codes"
  ./graft extract --model "$ckpt" --classes 0-9 --out "$codes" -q
fi
field() { $py -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
for r in $(seq 1 "$rounds"); do
  g=$(./graft probe --codes "$codes" --c "$c" --json -q)
  s=$($py bench/sklearn_probe.py "$codes" --c "$c")
  d=$(./graft probe --codes "$codes" --json -q)
  gs=$(echo "$g" | field 'd["fit_seconds"]'); ga=$(echo "$g" | field 'd["test_accuracy"]')
  ss=$(echo "$s" | field 'd["fits"][0]["fit_seconds"]')
  sa=$(echo "$s" | field 'd["fits"][0]["test_accuracy"]')
  ds=$(echo "$d" | field 'd["fit_seconds"]'); da=$(echo "$d" | field 'd["test_accuracy"]')
  dc=$(echo "$d" | field 'd["c"]')
  printf 'round %d, C=%s: graft %.2f s (%.2f%%)   scikit-learn %.2f s (%.2f%%)   ratio %.2fx' \
    "$r" "$c" "$gs" "$($py -c "print(100*$ga)")" "$ss" "$($py -c "print(100*$sa)")" \
    "$($py -c "print($ss/$gs)")"
  printf '   | graft choosing C (chose %s): %.2f s (%.2f%%)\n' "$dc" "$ds" "$($py -c "print(100*$da)")"
done
