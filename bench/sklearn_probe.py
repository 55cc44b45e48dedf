#!/usr/bin/env python3
"""scikit-learn's LogisticRegression on codes cached by `graft extract`, the peer of `graft probe`.

Reads CODES/train.safetensors and CODES/test.safetensors ("codes" [n, d] float32, "labels" [n]),
standardizes with the training codes' mean and std exactly as graft does (each dimension's
variance pooled with 50 pseudo-codes of the mean variance), fits LogisticRegression
(lbfgs, multinomial, scikit-learn's default solver) at each C given, and prints fit seconds and
test accuracy as JSON, with the objective reached (sum of cross-entropies + ||W||^2 / (2C), what
graft probe --classifier softmax reports too). Run by bench/probe_vs_sklearn.sh side by side with
graft probe.

  /usr/bin/python3 bench/sklearn_probe.py CODES --c 0.1
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graft_models as gm  # noqa: E402


def standardizer(x, prior_codes=50):
    """graft's Standardizer: mean, and std from variances shrunk toward their mean."""
    n = len(x)
    mean = x.mean(axis=0, dtype=np.float64)
    var = x.var(axis=0, dtype=np.float64)
    shrunk = (n * var + prior_codes * var.mean()) / (n + prior_codes)
    std = np.where(shrunk > 1e-12, np.sqrt(shrunk), 1.0)
    return lambda a: ((a - mean) / std).astype(np.float32)


def read(folder, split):
    t = gm.load_safetensors(os.path.join(folder, f"{split}.safetensors"))
    return t["codes"].numpy(), t["labels"].numpy().astype(np.int64)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("codes")
    p.add_argument("--c", default="1", help="comma-separated C values")
    p.add_argument("--max-iter", type=int, default=1000)
    a = p.parse_args()
    x, y = read(a.codes, "train")
    xt, yt = read(a.codes, "test")
    import sklearn
    out = {"peer": f"scikit-learn {sklearn.__version__}", "train_examples": len(y),
           "dim": x.shape[1], "fits": []}
    for c in (float(v) for v in a.c.split(",")):
        start = time.perf_counter()
        scale = standardizer(x)
        clf = LogisticRegression(C=c, max_iter=a.max_iter).fit(scale(x), y)
        seconds = time.perf_counter() - start
        acc = float((clf.predict(scale(xt)) == yt).mean())
        # the objective lbfgs minimized: sum of cross-entropies + ||W||^2 / (2C), in float64
        z = scale(x).astype(np.float64) @ clf.coef_.T + clf.intercept_
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        objective = float(-log_p[np.arange(len(y)), y].sum() + (clf.coef_ ** 2).sum() / (2 * c))
        out["fits"].append({"c": c, "fit_seconds": seconds, "test_accuracy": acc,
                            "iterations": int(np.max(clf.n_iter_)), "objective": objective})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
