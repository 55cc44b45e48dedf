#!/usr/bin/env python3
"""The PyTorch peer: graft's convnet (or resnet18, --arch) trained with the same recipe, for
side-by-side figures.

Same data (Fashion-MNIST IDX from the Debian package), normalization (training mean and std),
batch size, optimizer (Adam), schedule (OneCycleLR peaking at --lr, cosine, no momentum
cycling) and in-memory batching (one tensor, batches gathered by index), with torch using every
core. Prints images/s per epoch (optimizer steps only) and test accuracy.

  /usr/bin/python3 bench/peer_convnet.py --epochs 3 --json
  /usr/bin/python3 bench/peer_convnet.py --steps 150 --epochs 3   # throughput only
  /usr/bin/python3 bench/peer_convnet.py --arch resnet18 --steps 20 --epochs 3
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graft_models as gm  # noqa: E402


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(folder, name):
    x = read_idx(os.path.join(folder, f"{name}-images-idx3-ubyte.gz")).astype(np.float32) / 255
    y = read_idx(os.path.join(folder, f"{name}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--arch", choices=["convnet", "resnet18"], default="convnet",
                   help="resnet18: torchvision's layout with graft's small stem below 64 pixels")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--steps", type=int, default=0, help="steps per epoch (0: the whole set)")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", action="store_true")
    p.add_argument("--profile", type=int, default=0, metavar="N",
                   help="profile the epochs after the first with torch's profiler and list the N"
                        " operators of most self time per step (as graft bench --profile does)")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    x, y = load(a.data, "train")
    xt, yt = load(a.data, "t10k")
    mean, std = x.mean().item(), x.std(unbiased=False).item()
    x, xt = (x - mean) / std, (xt - mean) / std
    if a.steps:
        x, y = x[: a.steps * a.batch_size], y[: a.steps * a.batch_size]
    n = len(y)
    steps_per_epoch = (n + a.batch_size - 1) // a.batch_size

    model = gm.ConvNet() if a.arch == "convnet" else gm.ResNet18(tuple(x.shape[1:]), 10)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, epochs=a.epochs,
                                                steps_per_epoch=steps_per_epoch,
                                                cycle_momentum=False)
    epochs = []
    prof = None
    for epoch in range(1, a.epochs + 1):
        if a.profile and epoch == min(2, a.epochs):
            prof = torch.autograd.profiler.profile()
            prof.__enter__()
            prof_start = time.perf_counter()
        model.train()
        order = torch.randperm(n)
        start = time.perf_counter()
        loss_sum, correct = 0.0, 0
        for i in range(0, n, a.batch_size):
            idx = order[i:i + a.batch_size]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
        secs = time.perf_counter() - start
        epochs.append({"epoch": epoch, "images_per_second": n / secs, "train_loss": loss_sum / n,
                       "train_accuracy": correct / n, "peak_rss_mb": rss_mb()})
        if not a.json:
            print(f"epoch {epoch}: {n / secs:,.0f} images/s, loss {loss_sum / n:.4f}",
                  file=sys.stderr)
    if prof is not None:
        wall = time.perf_counter() - prof_start
        prof.__exit__(None, None, None)
        steps = steps_per_epoch * (a.epochs - (1 if a.epochs > 1 else 0))
        rows = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
        total = sum(e.self_cpu_time_total for e in rows) / 1e3
        print(f"profile of {steps} steps: {wall * 1e3:,.0f} ms wall, {total:,.0f} ms of operator"
              f" self time; per step:\n  {'self ms':>9} {'total ms':>9} {'calls':>7}  operator",
              file=sys.stderr)
        for e in rows[: a.profile]:
            print(f"  {e.self_cpu_time_total / 1e3 / steps:9.2f} {e.cpu_time_total / 1e3 / steps:9.2f}"
                  f" {e.count / steps:7.1f}  {e.key}", file=sys.stderr)
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(yt), 512):
            correct += (model(xt[i:i + 512]).argmax(1) == yt[i:i + 512]).sum().item()
    measured = epochs[1:] if len(epochs) > 1 else epochs
    result = {"peer": f"pytorch {torch.__version__}", "arch": a.arch,
              "threads": torch.get_num_threads(),
              "batch_size": a.batch_size, "train_examples": n,
              "train_images_per_second": sum(e["images_per_second"] for e in measured) / len(measured),
              "test_accuracy": correct / len(yt), "epochs": epochs}
    print(json.dumps(result) if a.json else
          f"test accuracy {100 * result['test_accuracy']:.2f}%, "
          f"{result['train_images_per_second']:,.0f} training images/s")


if __name__ == "__main__":
    main()
