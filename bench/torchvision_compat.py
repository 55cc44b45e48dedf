#!/usr/bin/env python3
"""torchvision side of graft's compatibility check (run by TorchvisionCompatibilityTest).

  check-graft ARCH CKPT IO
        build torchvision's ARCH (random weights, the checkpoint's class count), load the graft
        checkpoint with load_state_dict(strict=True), compare its eval-mode logits on IO's
        "input" with graft's "logits"; print the max abs difference, exit 1 if it is 1e-3 or more.
  make-torch ARCH C H W CLASSES DTYPE OUT
        build torchvision's ARCH with its own random initialization and random BatchNorm
        statistics, save OUT/weights.safetensors in DTYPE (F32, F16 or BF16) and
        OUT/io.safetensors (an input and the logits of the weights as stored) for graft.

  pil-transform IMAGE RESIZE CROP OUT
        torchvision's evaluation transform Resize(RESIZE), CenterCrop(CROP) on IMAGE opened
        with PIL as RGB; OUT gets the uint8 pixels in [channel, row, column] order.

Nothing is downloaded: every model is built with weights=None.
"""
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graft_models as gm  # noqa: E402

TOLERANCE = 1e-3
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def build(arch, classes):
    """torchvision's ARCH; "inception_v3+aux" is Inception-v3 with its auxiliary classifier."""
    kwargs = {"weights": None, "num_classes": classes}
    if arch.startswith("inception_v3"):
        # torchvision's own initialization (std 0.1) makes eval-mode logits near 1e7 before
        # training; PyTorch's default keeps them near 1, where 1e-3 is a real bound
        kwargs.update(aux_logits=arch.endswith("+aux"), init_weights=False,
                      transform_input=False)
        arch = "inception_v3"
    return torchvision.models.__dict__[arch](**kwargs)


def check_graft(arch, ckpt, io):
    with open(os.path.join(ckpt, "model.json")) as f:
        spec = json.load(f)
    model = build(arch, spec["numClasses"])
    state = gm.load_safetensors(os.path.join(ckpt, "weights.safetensors"))
    model.load_state_dict(state, strict=True)
    model.eval()
    tensors = gm.load_safetensors(io)
    with torch.no_grad():
        logits = model(tensors["input"])
    diff = (logits - tensors["logits"]).abs().max().item()
    scale = logits.abs().max().item()
    print(json.dumps({"architecture": arch, "max_abs_diff": diff, "max_abs_logit": scale}))
    return 0 if diff < TOLERANCE else 1


def make_torch(arch, c, h, w, classes, dtype, out):
    torch.manual_seed(0)
    model = build(arch, classes)
    gm.randomize_batchnorm(model)
    with torch.no_grad():
        # the logits must come from the weights as stored: round them through the dtype
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.copy_(t.to(DTYPES[dtype]).to(torch.float32))
    model.eval()
    x = torch.randn(4, c, h, w)
    with torch.no_grad():
        logits = model(x)
    os.makedirs(out, exist_ok=True)
    state = {k: (v.to(DTYPES[dtype]) if v.is_floating_point() else v)
             for k, v in model.state_dict().items()}
    gm.save_safetensors(state, os.path.join(out, "weights.safetensors"))
    gm.save_safetensors({"input": x, "logits": logits}, os.path.join(out, "io.safetensors"))
    print(json.dumps({"architecture": arch, "max_abs_logit": logits.abs().max().item()}))
    return 0


def pil_transform(image, resize, crop, out):
    from PIL import Image
    from torchvision import transforms
    t = transforms.Compose([transforms.Resize(resize), transforms.CenterCrop(crop)])
    pixels = t(Image.open(image).convert("RGB"))
    data = torch.frombuffer(bytearray(pixels.tobytes()), dtype=torch.uint8)
    data = data.reshape(crop, crop, 3).permute(2, 0, 1).contiguous()
    with open(out, "wb") as f:
        f.write(bytes(data.flatten().tolist()))
    return 0


if __name__ == "__main__":
    a = sys.argv
    cmd = a[1] if len(a) > 1 else ""
    if cmd == "check-graft" and len(a) == 5:
        sys.exit(check_graft(a[2], a[3], a[4]))
    if cmd == "make-torch" and len(a) == 9:
        sys.exit(make_torch(a[2], int(a[3]), int(a[4]), int(a[5]), int(a[6]), a[7], a[8]))
    if cmd == "pil-transform" and len(a) == 6:
        sys.exit(pil_transform(a[2], int(a[3]), int(a[4]), a[5]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
