#!/usr/bin/env bash
# graft probe vs scikit-learn's LogisticRegression on the same cached codes, side by side,
# alternating ROUNDS times so machine noise hits both alike.
#   bench/probe_vs_sklearn.sh CKPT [ROUNDS] [C]
# Extracts CKPT's last-stage codes of the whole Fashion-MNIST training set (60,000 x 256 for
# convnet) once into runs/bench-codes, then times, per round, at the same C:
#   - graft probe --classifier softmax: multinomial logistic regression, scikit-learn's model and
#     objective, by L-BFGS with the objective on the engine;
#   - scikit-learn's LogisticRegression (lbfgs, multinomial), both stopping by SciPy's rules;
# and once, after the rounds, graft probe --classifier logreg (LIBLINEAR, one-vs-rest).
# Times are the fit alone (standardization included, file reading excluded), as each side
# reports it; the ratio is scikit-learn's time over graft's. Each side's objective at its
# solution (sum of cross-entropies + ||W||^2 / (2C)) shows they reach the same minimum.
# Needs Debian's python3-sklearn; numpy uses whichever libblas.so.3 is installed: with
# libopenblas0 scikit-learn is about 4x faster than with the reference BLAS, so install it for
# a fair peer (apt-get install -y python3-sklearn libopenblas0).
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt=${1:?usage: bench/probe_vs_sklearn.sh CKPT [ROUNDS] [C]}; rounds=${2:-3}; c=${3:-0.1}
py=/usr/bin/python3
$py -c 'import sklearn' 2>/dev/null || { echo "needs Debian's python3-sklearn: apt-get install -y python3-sklearn" >&2; exit 2; }
codes=runs/bench-codes
if [ ! -f "$codes/train.safetensors" ]; then
  rm -rf "$codes"
  ./graft extract --model "$ckpt" --classes 0-9 --out "$codes" -q
fi
field() { $py -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
for r in $(seq 1 "$rounds"); do
  g=$(./graft probe --codes "$codes" --c "$c" --classifier softmax --json -q 2>/dev/null)
  s=$($py bench/sklearn_probe.py "$codes" --c "$c")
  gs=$(echo "$g" | field 'd["fit_seconds"]'); ga=$(echo "$g" | field '100*d["test_accuracy"]')
  gi=$(echo "$g" | field 'd["iterations"]'); go=$(echo "$g" | field 'd["objective"]')
  ss=$(echo "$s" | field 'd["fits"][0]["fit_seconds"]')
  sa=$(echo "$s" | field '100*d["fits"][0]["test_accuracy"]')
  si=$(echo "$s" | field 'd["fits"][0]["iterations"]'); so=$(echo "$s" | field 'd["fits"][0]["objective"]')
  printf 'round %d, C=%s: graft softmax %.1f s (%.2f%%, %d it, objective %.2f)   scikit-learn %.1f s (%.2f%%, %d it, objective %.2f)   ratio %.2fx\n' \
    "$r" "$c" "$gs" "$ga" "$gi" "$go" "$ss" "$sa" "$si" "$so" "$($py -c "print($ss/$gs)")"
done
l=$(./graft probe --codes "$codes" --c "$c" --classifier logreg --json -q 2>/dev/null)
printf 'graft logreg (LIBLINEAR, one-vs-rest) %.1f s (%.2f%%)\n' \
  "$(echo "$l" | field 'd["fit_seconds"]')" "$(echo "$l" | field '100*d["test_accuracy"]')"
