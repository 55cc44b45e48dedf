#!/usr/bin/env bash
# Label budgets on text: MiniLM's frozen codes + graft's softmax probe against the TF-IDF baseline,
# at K labelled sentences per class, over D draws (seeds 1..D), on the bundled UCI sentences.
# Usage: bench/text_budgets.sh [DATA] [DRAWS] [K ...]      (default: uci-sentiment 10 8 64)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-uci-sentiment}"; draws="${2:-10}"; shift 2 2>/dev/null || true
budgets=("$@"); [ ${#budgets[@]} -gt 0 ] || budgets=(8 64)
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
g() { "$here/graft" "$@" 2>/dev/null; }
g extract --model minilm --data "$data" --out "$work/all" --json >/dev/null
echo "all labels: probe $(g probe --codes "$work/all" --json | python3 -c 'import json,sys; print("%.2f" % (100*json.load(sys.stdin)["test_accuracy"]))')%," \
     "tfidf $(g tfidf --data "$data" --json | python3 -c 'import json,sys; print("%.2f" % (100*json.load(sys.stdin)["test_accuracy"]))')%"
for k in "${budgets[@]}"; do
  : > "$work/probe-$k"; : > "$work/tfidf-$k"
  for s in $(seq 1 "$draws"); do
    g extract --model minilm --data "$data" --shots "$k" --seed "$s" --out "$work/c-$k-$s" --json >/dev/null
    g probe --codes "$work/c-$k-$s" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["test_accuracy"])' >> "$work/probe-$k"
    g tfidf --data "$data" --shots "$k" --seed "$s" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["test_accuracy"])' >> "$work/tfidf-$k"
    rm -rf "$work/c-$k-$s"
  done
  python3 - "$k" "$work/probe-$k" "$work/tfidf-$k" <<'PY'
import statistics as st, sys
k = sys.argv[1]
for name, f in (("probe", sys.argv[2]), ("tfidf", sys.argv[3])):
    v = [100 * float(x) for x in open(f)]
    print(f"{k} per class, {name}: {st.mean(v):.2f} +- {st.stdev(v):.2f} ({len(v)} draws)")
PY
done
