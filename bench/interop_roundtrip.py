#!/usr/bin/env python3
"""PyTorch side of graft's interoperability check (run by PyTorchInteropTest).

  check-graft CKPT IO   load a graft checkpoint into the equivalent torch module with
                        load_state_dict(strict=True); compare its logits on IO's "input" with
                        graft's "logits"; exit 1 if the max abs difference is 1e-4 or more.
  make-torch ARCH C H W CLASSES OUT
                        build a torch module with random weights and random BatchNorm
                        statistics, save OUT/weights.safetensors and OUT/io.safetensors
                        (input and logits) for graft to load and compare.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graft_models as gm  # noqa: E402

TOLERANCE = 1e-4


def check_graft(ckpt, io):
    with open(os.path.join(ckpt, "model.json")) as f:
        spec = json.load(f)
    model = gm.build(spec)
    model.load_state_dict(gm.load_safetensors(os.path.join(ckpt, "weights.safetensors")),
                          strict=True)
    model.eval()
    tensors = gm.load_safetensors(io)
    with torch.no_grad():
        logits = model(tensors["input"])
    diff = (logits - tensors["logits"]).abs().max().item()
    print(json.dumps({"architecture": spec["architecture"], "max_abs_diff": diff}))
    return 0 if diff < TOLERANCE else 1


def make_torch(arch, c, h, w, classes, out):
    torch.manual_seed(0)
    spec = {"architecture": arch, "inputShape": [c, h, w], "numClasses": classes,
            "options": {"width": 1}}
    model = gm.build(spec)
    gm.randomize_batchnorm(model)
    model.eval()
    x = torch.randn(4, c, h, w)
    with torch.no_grad():
        logits = model(x)
    os.makedirs(out, exist_ok=True)
    gm.save_safetensors(model.state_dict(), os.path.join(out, "weights.safetensors"))
    gm.save_safetensors({"input": x, "logits": logits}, os.path.join(out, "io.safetensors"))
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "check-graft" and len(sys.argv) == 4:
        sys.exit(check_graft(sys.argv[2], sys.argv[3]))
    if cmd == "make-torch" and len(sys.argv) == 8:
        a = sys.argv
        sys.exit(make_torch(a[2], int(a[3]), int(a[4]), int(a[5]), int(a[6]), a[7]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
