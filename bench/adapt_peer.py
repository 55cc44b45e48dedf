#!/usr/bin/python3
"""The PyTorch peer of `graft adapt`: source-only, Deep CORAL and DANN with the same network,
data, budget and losses, for side-by-side accuracy and epoch cost.

Data: IDX folders written by graft itself, so both read the same images and splits:
  ./graft data subset --data mnist --all --out /tmp/peer/mnist
  ./graft data subset --data optdigits --all --out /tmp/peer/optdigits
Recipe, as graft's: graft's convnet (bench/graft_models.py), inputs normalized by the source
training set's mean and std; the source model trained --source-epochs with Adam and OneCycleLR
(peak --lr, no momentum cycling, batch --batch-size); each method then trains --epochs passes
over the source from that model, every step one source batch and one target batch of the same
size in one forward pass (BatchNorm sees both), loss = cross-entropy + 1 x the method's term on
the stage3 features (TLL's CorrelationAlignmentLoss; DANN: TLL's DomainDiscriminator(256, 1024)
behind gradient reversal with lambda = 2 / (1 + exp(-10 p)) - 1). Source-only is the source
model as it is. Seeds vary the source model and the adaptation; with --source-model (a graft
checkpoint folder: its weights.safetensors and its model.json's normalization) every seed
starts from that one model, as `graft adapt --model` does, and seeds vary the adaptation only.

  /usr/bin/python3 bench/adapt_peer.py --source /tmp/peer/mnist --target /tmp/peer/optdigits --seeds 3 --json
  /usr/bin/python3 bench/adapt_peer.py --source /tmp/peer/mnist --target /tmp/peer/optdigits \
      --source-model runs/mnist/model --seeds 3
"""
import argparse
import copy
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graft_models as gm  # noqa: E402


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(folder, split):
    x = read_idx(os.path.join(folder, f"{split}-images-idx3-ubyte.gz")).astype(np.float32) / 255
    y = read_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz")).astype(np.int64)
    x = torch.from_numpy(x)
    return (x.unsqueeze(1) if x.dim() == 3 else x), torch.from_numpy(y)


def coral(f_s, f_t):  # tllib CorrelationAlignmentLoss
    ms, mt = f_s.mean(0, keepdim=True), f_t.mean(0, keepdim=True)
    cs = (f_s - ms).t() @ (f_s - ms) / (len(f_s) - 1)
    ct = (f_t - mt).t() @ (f_t - mt) / (len(f_t) - 1)
    return (ms - mt).pow(2).mean() + (cs - ct).pow(2).mean()


class Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coeff):
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.coeff * g, None


def discriminator(d, hidden=1024):  # tllib DomainDiscriminator, logits out (sigmoid in the loss)
    return nn.Sequential(nn.Linear(d, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, 1))


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        return sum((model(x[i:i + 512]).argmax(1) == y[i:i + 512]).sum().item()
                   for i in range(0, len(y), 512)) / len(y)


def train(model, xs, ys, epochs, a, method="plain", xt=None, gen=None):
    """Trains in place; returns seconds per source image (optimizer steps only)."""
    disc = discriminator(model.head.in_features) if method == "dann" else None
    params = list(model.parameters()) + (list(disc.parameters()) if disc else [])
    opt = torch.optim.Adam(params, lr=a.lr)
    n = len(ys)
    per_epoch = (n + a.batch_size - 1) // a.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, epochs=epochs,
                                                steps_per_epoch=per_epoch, cycle_momentum=False)
    feats = {}
    model.stage3.register_forward_hook(lambda m, i, o: feats.__setitem__("f", o))
    step, total, seconds, t_order, t_next = 0, epochs * per_epoch, 0.0, None, 0
    for epoch in range(epochs):
        model.train()
        if disc:
            disc.train()
        order = torch.randperm(n, generator=gen)
        start = time.perf_counter()
        for i in range(0, n, a.batch_size):
            idx = order[i:i + a.batch_size]
            b = len(idx)
            xb = xs[idx]
            if method != "plain":
                if t_order is None or t_next + b > len(t_order):
                    t_order, t_next = torch.randperm(len(xt), generator=gen), 0
                xb = torch.cat([xb, xt[t_order[t_next:t_next + b]]])
                t_next += b
            logits = model(xb)
            loss = F.cross_entropy(logits[:b], ys[idx])
            if method == "coral":
                loss = loss + coral(feats["f"][:b], feats["f"][b:])
            elif method == "dann":
                lam = 2 / (1 + math.exp(-10 * step / total)) - 1
                d = disc(Reverse.apply(feats["f"], lam)).squeeze(1)
                loss = loss + 0.5 * (F.binary_cross_entropy_with_logits(d[:b], torch.ones(b))
                                     + F.binary_cross_entropy_with_logits(d[b:], torch.zeros(b)))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
        seconds += time.perf_counter() - start
    return seconds / (epochs * n)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--source", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--source-epochs", type=int, default=5)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--source-model", help="a graft checkpoint folder to start every seed from")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    xs, ys = load(a.source, "train")
    xt, _ = load(a.target, "train")  # the target's training labels are not read
    xe, ye = load(a.target, "t10k")
    if a.source_model:
        with open(os.path.join(a.source_model, "model.json")) as f:
            norm = json.load(f)["normalization"]
        mean, std = norm["mean"][0], norm["std"][0]
        weights = gm.load_safetensors(os.path.join(a.source_model, "weights.safetensors"))
    else:
        mean, std = xs.mean().item(), xs.std(unbiased=False).item()
    xs, xt, xe = (xs - mean) / std, (xt - mean) / std, (xe - mean) / std
    results = {m: [] for m in ("source-only", "coral", "dann")}
    cost = {m: [] for m in ("plain", "coral", "dann")}
    for seed in range(1, a.seeds + 1):
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        source = gm.ConvNet(in_shape=tuple(xs.shape[1:]))
        if a.source_model:
            missing, unexpected = source.load_state_dict(weights, strict=False)
            if unexpected or any(not m.endswith("num_batches_tracked") for m in missing):
                sys.exit(f"{a.source_model}: not graft's convnet (missing {missing}, "
                         f"unexpected {unexpected})")
        else:
            train(source, xs, ys, a.source_epochs, a, gen=gen)
        results["source-only"].append(evaluate(source, xe, ye))
        for m in ("coral", "dann"):
            model = copy.deepcopy(source)
            cost[m].append(train(model, xs, ys, a.epochs, a, m, xt, gen))
            results[m].append(evaluate(model, xe, ye))
        plain = copy.deepcopy(source)
        cost["plain"].append(train(plain, xs, ys, a.epochs, a, gen=gen))
        if not a.json:
            print(f"seed {seed}: " + ", ".join(f"{k} {100 * v[-1]:.2f}%"
                                               for k, v in results.items()), file=sys.stderr)
    out = {"peer": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(),
           "source_model": a.source_model,
           "methods": [{"name": k, "target_accuracy_mean": float(np.mean(v)),
                        "target_accuracy_std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
                        "seeds": len(v),
                        "epoch_cost_vs_plain": (float(np.mean(cost[k]) / np.mean(cost["plain"]))
                                                if k in cost else None)}
                       for k, v in results.items()]}
    if a.json:
        print(json.dumps(out))
    else:
        for m in out["methods"]:
            c = m["epoch_cost_vs_plain"]
            print(f"{m['name']:12s} {100 * m['target_accuracy_mean']:.2f} ± "
                  f"{100 * m['target_accuracy_std']:.2f} ({m['seeds']})"
                  + (f"  epoch cost {c:.2f}x plain" if c else ""))


if __name__ == "__main__":
    main()
