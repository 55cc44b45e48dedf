#!/usr/bin/env python3
"""PyTorch peer of `graft bench --input-size`: torchvision's model in eval mode under
torch.inference_mode(), random inputs, one warm-up batch, then PASSES timed passes over
IMAGES images, the fastest reported. One thread per core, as graft's engine uses.

  bench/peer_inference.py --arch resnet50 --size 224 --batch-size 16 --steps 8 --passes 3
"""
import argparse
import json
import os
import time

import torch
import torchvision


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="resnet50")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps", type=int, default=8, help="batches per pass")
    p.add_argument("--passes", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    kwargs = {"weights": None}
    if a.arch == "inception_v3":
        kwargs.update(aux_logits=False, init_weights=False)
    model = torchvision.models.__dict__[a.arch](**kwargs).eval()
    x = torch.randn(a.steps * a.batch_size, 3, a.size, a.size)
    best = float("inf")
    with torch.inference_mode():
        model(x[:a.batch_size]).argmax(1).tolist()
        for _ in range(a.passes):
            start = time.perf_counter()
            for i in range(0, len(x), a.batch_size):
                model(x[i:i + a.batch_size]).argmax(1).tolist()
            best = min(best, time.perf_counter() - start)
    print(json.dumps({"architecture": a.arch, "batch_size": a.batch_size,
                      "inference_images_per_second": len(x) / best,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
