#!/usr/bin/env python3
"""Reference values and gradients of graft's distillation terms, from the papers' PyTorch code.

Reads IN.safetensors (student/teacher tensors written by DistillLossesPyTorchTest), computes each
term as its authors' code does, and writes OUT.safetensors with every value and the gradient with
respect to the student tensor:

  - response: Hinton et al. 2015, F.kl_div(log_softmax(s/T), softmax(t/T), 'batchmean') * T^2
  - attention: Zagoruyko & Komodakis 2017 (szagoruyko/attention-transfer, at / at_loss)
  - rkd_distance, rkd_angle: Park et al. 2019 (lenscloth/RKD, RkdDistance / RKdAngle)

  /usr/bin/python3 bench/distill_losses_ref.py IN.safetensors OUT.safetensors
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graft_models as gm  # noqa: E402

T = 4.0


def kd(s, t):
    return F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1),
                    reduction="batchmean") * T * T


def at(x):
    return F.normalize(x.pow(2).mean(1).view(x.size(0), -1))


def at_loss(x, y):
    return (at(x) - at(y)).pow(2).mean()


def pdist(e, squared=False, eps=1e-12):
    e_square = e.pow(2).sum(dim=1)
    prod = e @ e.t()
    res = (e_square.unsqueeze(1) + e_square.unsqueeze(0) - 2 * prod).clamp(min=eps)
    if not squared:
        res = res.sqrt()
    res = res.clone()
    res[range(len(e)), range(len(e))] = 0
    return res


def rkd_distance(student, teacher):
    with torch.no_grad():
        t_d = pdist(teacher, squared=False)
        mean_td = t_d[t_d > 0].mean()
        t_d = t_d / mean_td
    d = pdist(student, squared=False)
    mean_d = d[d > 0].mean()
    d = d / mean_d
    return F.smooth_l1_loss(d, t_d, reduction="mean")


def rkd_angle(student, teacher):
    with torch.no_grad():
        td = teacher.unsqueeze(0) - teacher.unsqueeze(1)
        norm_td = F.normalize(td, p=2, dim=2)
        t_angle = torch.bmm(norm_td, norm_td.transpose(1, 2)).view(-1)
    sd = student.unsqueeze(0) - student.unsqueeze(1)
    norm_sd = F.normalize(sd, p=2, dim=2)
    s_angle = torch.bmm(norm_sd, norm_sd.transpose(1, 2)).view(-1)
    return F.smooth_l1_loss(s_angle, t_angle, reduction="mean")


def main():
    x = gm.load_safetensors(sys.argv[1])
    out = {}
    for name, fn, s, t in [("response", kd, "s_logits", "t_logits"),
                           ("attention", at_loss, "s_map", "t_map"),
                           ("rkd_distance", rkd_distance, "s_emb", "t_emb"),
                           ("rkd_angle", rkd_angle, "s_emb", "t_emb")]:
        student = x[s].clone().requires_grad_(True)
        value = fn(student, x[t])
        value.backward()
        out[name] = value.detach().reshape(1)
        out[name + "_grad"] = student.grad
    gm.save_safetensors(out, sys.argv[2])


if __name__ == "__main__":
    main()
