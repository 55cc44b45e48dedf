#!/usr/bin/python3
"""Reference values of graft's adaptation losses, computed in PyTorch as the reference code does:
Transfer-Learning-Library (tllib.alignment.coral / dan / mdd's MCC / dann), SHOT's
information maximization (tim-ul/SHOT, object/image_target.py) and SND (VisionLearningGroup/SND).
AdaptLossesTest hard-codes these numbers; rerun after changing an input:  python3 bench/adapt_losses.py
Inputs are deterministic formulas, the same in AdaptLossesTest."""
import math
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def grid(rows, cols, a, b):
    return torch.tensor([[math.sin(a * i + b * j + 0.3) for j in range(cols)] for i in range(rows)])


fs = grid(6, 4, 0.7, 1.3)
ft = grid(6, 4, 1.1, 0.4) * 1.5 + 0.2
logits = grid(6, 3, 0.9, 2.1) * 3


def coral(f_s, f_t):  # tllib CorrelationAlignmentLoss
    mean_s = f_s.mean(0, keepdim=True)
    mean_t = f_t.mean(0, keepdim=True)
    cent_s = f_s - mean_s
    cent_t = f_t - mean_t
    cov_s = torch.mm(cent_s.t(), cent_s) / (len(f_s) - 1)
    cov_t = torch.mm(cent_t.t(), cent_t) / (len(f_t) - 1)
    return (mean_s - mean_t).pow(2).mean() + (cov_s - cov_t).pow(2).mean()


def mk_mmd(z_s, z_t):  # tllib MultipleKernelMaximumMeanDiscrepancy, linear=False, DAN's kernels
    features = torch.cat([z_s, z_t], dim=0)
    n = int(z_s.size(0))
    index = torch.zeros(2 * n, 2 * n)
    for i in range(n):
        for j in range(n):
            if i != j:
                index[i][j] = 1. / float(n * (n - 1))
                index[i + n][j + n] = 1. / float(n * (n - 1))
    for i in range(n):
        for j in range(n):
            index[i][j + n] = -1. / float(n * n)
            index[i + n][j] = -1. / float(n * n)
    d2 = ((features.unsqueeze(0) - features.unsqueeze(1)) ** 2).sum(2)
    k = sum(torch.exp(-d2 / (2 * (2 ** a) * d2.mean())) for a in range(-3, 2))
    return (k * index).sum() + 2. / float(n - 1)


def entropy(p):
    return -(p * torch.log(p + 1e-5)).sum(dim=1)


def mcc(z, t=2.5):  # tllib MinimumClassConfusionLoss
    b, k = z.shape
    p = F.softmax(z / t, dim=1)
    w = 1 + torch.exp(-entropy(p).detach())
    w = (b * w / torch.sum(w)).unsqueeze(dim=1)
    c = torch.mm((p * w).transpose(1, 0), p)
    c = c / torch.sum(c, dim=1)
    return (torch.sum(c) - torch.trace(c)) / k


def im(z):  # SHOT: entropy - diversity
    p = F.softmax(z, dim=1)
    m = p.mean(dim=0)
    return entropy(p).mean() - torch.sum(-m * torch.log(m + 1e-5))


def dann(d_s, d_t):  # tllib DomainAdversarialLoss (sigmoid discriminator, BCE), unweighted
    return 0.5 * (F.binary_cross_entropy(torch.sigmoid(d_s), torch.ones_like(d_s))
                  + F.binary_cross_entropy(torch.sigmoid(d_t), torch.zeros_like(d_t)))


def snd(probs, t=0.05):  # VisionLearningGroup/SND
    normalized = F.normalize(probs, dim=1)
    mat = torch.matmul(normalized, normalized.t()) / t
    mat.masked_fill_(torch.eye(len(probs)).bool(), -1 / t)
    mat = F.softmax(mat, dim=1)
    return entropy(mat).mean()


def pseudo(z, threshold):  # FixMatch's unlabelled term on one view
    p = torch.softmax(z.detach(), dim=-1)
    conf, label = torch.max(p, dim=-1)
    return (F.cross_entropy(z, label, reduction='none') * conf.ge(threshold).double()).mean()


print('coral', coral(fs, ft).item())
print('mk_mmd', mk_mmd(fs, ft).item())
print('mcc', mcc(logits).item())
print('im', im(logits).item())
print('dann', dann(fs[:, 0], ft[:, 1]).item())
print('snd', snd(F.softmax(logits, dim=1)).item())
print('pseudo_0.9', pseudo(logits, 0.9).item())
