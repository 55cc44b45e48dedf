"""PyTorch modules equivalent to graft's architectures, with the same state_dict names.

Used by the peer benchmark and the interoperability check: a graft checkpoint loads into these
with load_state_dict(strict=True), and their weights load into graft.
"""
import json
import math
import struct
from collections import OrderedDict

import torch
from torch import nn


class ConvBNReLU(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class ConvNet(nn.Module):
    """graft's convnet: 2 x (2 x conv3x3-BN-ReLU, maxpool), FC-256, dropout 0.3, head."""

    def __init__(self, in_shape=(1, 28, 28), classes=10, width=1, widths=None):
        super().__init__()
        c, h, w = in_shape
        ch = lambda base: max(1, int(math.floor(base * width + 0.5)))  # noqa: E731, as Java
        # per-layer widths (what graft prune --filters leaves), else from the multiplier
        a1, a2, b1, b2, f = widths or (ch(32), ch(32), ch(64), ch(64), ch(256))
        self.stage1 = nn.Sequential(ConvBNReLU(c, a1), ConvBNReLU(a1, a2), nn.MaxPool2d(2))
        self.stage2 = nn.Sequential(ConvBNReLU(a2, b1), ConvBNReLU(b1, b2), nn.MaxPool2d(2))
        self.stage3 = nn.Sequential(nn.Flatten(), nn.Linear(b2 * (h // 4) * (w // 4), f),
                                    nn.ReLU(), nn.Dropout(0.3))
        self.head = nn.Linear(f, classes)

    def forward(self, x):
        return self.head(self.stage3(self.stage2(self.stage1(x))))


class MLP(nn.Module):
    """LeNet-300-100."""

    def __init__(self, in_shape=(1, 28, 28), classes=10, widths=None):
        super().__init__()
        n = in_shape[0] * in_shape[1] * in_shape[2]
        h1, h2 = widths or (300, 100)
        self.layer1 = nn.Sequential(OrderedDict(flatten=nn.Flatten(), fc=nn.Linear(n, h1),
                                                relu=nn.ReLU()))
        self.layer2 = nn.Sequential(OrderedDict(fc=nn.Linear(h1, h2), relu=nn.ReLU()))
        self.head = nn.Linear(h2, classes)

    def forward(self, x):
        return self.head(self.layer2(self.layer1(x)))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    """torchvision's resnet18 layout and names; small_stem = 3x3 stride-1 conv1, no max-pool."""

    def __init__(self, in_shape=(3, 224, 224), classes=1000, small_stem=None):
        super().__init__()
        c, h, w = in_shape
        if small_stem is None:
            small_stem = max(h, w) < 64
        self.small_stem = small_stem
        self.conv1 = (nn.Conv2d(c, 64, 3, 1, 1, bias=False) if small_stem
                      else nn.Conv2d(c, 64, 7, 2, 3, bias=False))
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.Identity() if small_stem else nn.MaxPool2d(3, 2, 1)
        widths, cin = [64, 128, 256, 512], 64
        for i, cout in enumerate(widths):
            stride = 1 if i == 0 else 2
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(cin, cout, stride),
                                                         BasicBlock(cout, cout, 1)))
            cin = cout
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def build(spec):
    """The module a graft model.json describes."""
    shape, classes = tuple(spec["inputShape"]), spec["numClasses"]
    options = spec.get("options") or {}
    arch = spec["architecture"]
    if arch == "convnet":
        return ConvNet(shape, classes, options.get("width", 1), options.get("widths"))
    if arch == "mlp":
        return MLP(shape, classes, options.get("widths"))
    if arch == "resnet18":
        return ResNet18(shape, classes, options.get("smallStem"))
    raise ValueError(f"unknown architecture {arch}")


def randomize_batchnorm(model):
    """Random BatchNorm statistics (mean N(0, 0.5), variance U(0.5, 2)), so that eval-mode
    comparisons exercise them rather than the identity of fresh ones."""
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_(0, 0.5)
            elif name.endswith("running_var"):
                buf.uniform_(0.5, 2.0)


# -- safetensors, read and written by hand (Debian has no python3-safetensors) --------------

_DTYPES = {"F32": torch.float32, "I64": torch.int64, "F64": torch.float64, "I32": torch.int32,
           "F16": torch.float16, "BF16": torch.bfloat16}
_NAMES = {v: k for k, v in _DTYPES.items()}


def save_safetensors(tensors, path):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        # numpy has no bfloat16: its bytes go out through a 16-bit integer view
        data = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base, out = 8 + n, OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        t = torch.frombuffer(bytearray(raw[base + start:base + end]), dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out
