#!/usr/bin/env python3
"""The PyTorch peer of graft transfer's few-shot protocol: scratch versus full fine-tuning.

Source: graft's convnet trained on Fashion-MNIST classes 0-4 (Adam, OneCycleLR, batch 128,
training mean and std), or a graft checkpoint given with --source (loaded with
load_state_dict(strict=True), so both sides start from the very same weights).
Target: classes 5-9 relabelled 0-4. For every seed, k labelled images per class are drawn from
the target's training pool; both strategies see the same images and follow graft transfer's
protocol: the labelled set is repeated so an epoch is at least --min-steps batches, a batch is
at most the labelled set, Adam with OneCycleLR at --lr for --epochs epochs, no augmentation,
scored once on the target test set (5,000 images). Scratch normalizes inputs with the labelled
images' mean and std; full keeps the source's normalization and replaces the head.

  /usr/bin/python3 bench/peer_fewshot.py --shots 10 --seeds 3
  /usr/bin/python3 bench/peer_fewshot.py --source runs/src3 --shots 1,10,100 --json
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graft_models as gm  # noqa: E402
from peer_convnet import load  # noqa: E402


def classes(x, y, wanted):
    keep = torch.zeros_like(y, dtype=torch.bool)
    for c in wanted:
        keep |= y == c
    remap = {c: i for i, c in enumerate(wanted)}
    return x[keep], torch.tensor([remap[int(v)] for v in y[keep]])


def fit(model, x, y, epochs, lr, batch, min_steps, gen):
    batch = min(batch, len(y))
    n = len(y)
    if n < min_steps * batch:  # repeat whole copies, as graft does
        copies = -(-min_steps * batch // n)
        x, y = x.repeat(copies, 1, 1, 1), y.repeat(copies)
        n = len(y)
    steps = -(-n // batch)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                                steps_per_epoch=steps, cycle_momentum=False)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
            sched.step()
    return model


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 512]).argmax(1) for i in range(0, len(y), 512)])
    return (pred == y).float().mean().item()


def source_model(a, x, y):
    if a.source:
        with open(os.path.join(a.source, "model.json")) as f:
            spec = json.load(f)
        model = gm.build(spec)
        model.load_state_dict(gm.load_safetensors(os.path.join(a.source, "weights.safetensors")),
                              strict=True)
        norm = spec["normalization"]
        return model, norm["mean"][0], norm["std"][0]
    mean, std = x.mean().item(), x.std(unbiased=False).item()
    xs, ys = classes(x, y, range(5))
    model = gm.ConvNet(classes=5)
    gen = torch.Generator().manual_seed(a.seed)
    fit(model, (xs - mean) / std, ys, a.source_epochs, a.lr, 128, 1, gen)
    return model, mean, std


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--source", help="a graft checkpoint folder to start from")
    p.add_argument("--source-epochs", type=int, default=3)
    p.add_argument("--shots", default="10")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--min-steps", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)

    x, y = load(a.data, "train")
    xt, yt = load(a.data, "t10k")
    started = time.perf_counter()
    source, mean, std = source_model(a, x, y)
    xs_t, ys_t = classes(xt, yt, range(5))
    source_acc = accuracy(source, (xs_t - mean) / std, ys_t)
    pool_x, pool_y = classes(x, y, range(5, 10))
    test_x, test_y = classes(xt, yt, range(5, 10))
    rows = []
    for shots in [int(s) for s in a.shots.split(",")]:
        for seed in range(1, a.seeds + 1):
            gen = torch.Generator().manual_seed(a.seed * 1000 + seed)
            idx = torch.cat([torch.nonzero(pool_y == c).flatten()[
                torch.randperm(int((pool_y == c).sum()), generator=gen)[:shots]]
                for c in range(5)])
            lx, ly = pool_x[idx], pool_y[idx]
            # scratch: the labelled images' own statistics
            m, s = lx.mean().item(), lx.std(unbiased=False).item()
            torch.manual_seed(a.seed * 1000 + seed)
            scratch = fit(gm.ConvNet(classes=5), (lx - m) / s, ly, a.epochs, a.lr,
                          a.batch_size, a.min_steps, gen)
            rows.append({"strategy": "scratch", "shots": shots, "seed": seed,
                         "test_accuracy": accuracy(scratch, (test_x - m) / s, test_y)})
            full = gm.ConvNet(classes=5)
            full.load_state_dict(source.state_dict())
            full.head = torch.nn.Linear(full.head.in_features, 5)
            fit(full, (lx - mean) / std, ly, a.epochs, a.lr, a.batch_size, a.min_steps, gen)
            rows.append({"strategy": "full", "shots": shots, "seed": seed,
                         "test_accuracy": accuracy(full, (test_x - mean) / std, test_y)})
            if not a.json:
                print(f"{shots} shots, seed {seed}: scratch {100 * rows[-2]['test_accuracy']:.2f}%,"
                      f" full {100 * rows[-1]['test_accuracy']:.2f}%", file=sys.stderr)
    table = []
    for shots in sorted({r["shots"] for r in rows}):
        for strategy in ("scratch", "full"):
            acc = [r["test_accuracy"] for r in rows
                   if r["shots"] == shots and r["strategy"] == strategy]
            table.append({"strategy": strategy, "shots": shots, "mean": statistics.mean(acc),
                          "std": statistics.stdev(acc) if len(acc) > 1 else 0.0})
    result = {"peer": f"pytorch {torch.__version__}", "source": a.source or "trained here",
              "source_accuracy": source_acc, "table": table, "cells": rows,
              "seconds": time.perf_counter() - started}
    if a.json:
        print(json.dumps(result))
        return
    print(f"source accuracy {100 * source_acc:.2f}%")
    for r in table:
        print(f"{r['shots']:>4} shots  {r['strategy']:<8} {100 * r['mean']:.2f} ± "
              f"{100 * r['std']:.2f}%")


if __name__ == "__main__":
    main()
