#!/usr/bin/env bash
# graft probe (LIBLINEAR logistic regression) vs scikit-learn's LogisticRegression on the same
# cached codes, side by side, alternating ROUNDS times so machine noise hits all alike.
#   bench/probe_vs_sklearn.sh CKPT [ROUNDS] [C]
# Extracts CKPT's last-stage codes of the whole Fashion-MNIST training set (60,000 x 256 for
# convnet) once into runs/bench-codes, then times, per round, at the same C:
#   - graft probe --classifier softmax: multinomial logistic regression, the model
#     scikit-learn's LogisticRegression fits (weight decay 1/(C n) = its penalty), trained with
#     Adam on the engine;
#   - scikit-learn's LogisticRegression (lbfgs, multinomial);
#   - graft probe --classifier logreg: LIBLINEAR's one-vs-rest logistic regression.
# Times are the fit alone (standardization included, file reading excluded), as each side
# reports it; the ratio is scikit-learn's time over graft softmax's.
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
  g=$(./graft probe --codes "$codes" --c "$c" --classifier softmax --json -q 2>/dev/null)
  s=$($py bench/sklearn_probe.py "$codes" --c "$c")
  l=$(./graft probe --codes "$codes" --c "$c" --classifier logreg --json -q)
  gs=$(echo "$g" | field 'd["fit_seconds"]'); ga=$(echo "$g" | field '100*d["test_accuracy"]')
  ss=$(echo "$s" | field 'd["fits"][0]["fit_seconds"]')
  sa=$(echo "$s" | field '100*d["fits"][0]["test_accuracy"]')
  ls=$(echo "$l" | field 'd["fit_seconds"]'); la=$(echo "$l" | field '100*d["test_accuracy"]')
  printf 'round %d, C=%s: graft softmax %.2f s (%.2f%%)   scikit-learn %.2f s (%.2f%%)   ratio %.2fx' \
    "$r" "$c" "$gs" "$ga" "$ss" "$sa" "$($py -c "print($ss/$gs)")"
  printf '   | graft logreg (LIBLINEAR) %.2f s (%.2f%%)\n' "$ls" "$la"
done
