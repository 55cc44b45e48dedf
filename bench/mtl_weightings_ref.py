"""Reference values for graft's gradient weightings (WeightingTest), computed with LibMTL's code.

The functions below are LibMTL's (LibMTL/weighting/MGDA.py, PCGrad.py, GradNorm.py at
median-research-group/LibMTL), cut out of their classes; the inputs are fixed, so the printed
values are what graft's MinNormSolver, PCGrad and GradNorm must reproduce. Needs Debian's
python3-torch; run: python3 bench/mtl_weightings_ref.py
"""
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def find_min_norm_element(grads):  # LibMTL MGDA._find_min_norm_element
    def _min_norm_element_from2(v1v1, v1v2, v2v2):
        if v1v2 >= v1v1:
            return 0.999, v1v1
        if v1v2 >= v2v2:
            return 0.001, v2v2
        gamma = -1.0 * ((v1v2 - v2v2) / (v1v1 + v2v2 - 2 * v1v2))
        return gamma, v2v2 + gamma * (v1v2 - v2v2)

    def _min_norm_2d(grad_mat):
        dmin = 1e8
        for i in range(grad_mat.size()[0]):
            for j in range(i + 1, grad_mat.size()[0]):
                c, d = _min_norm_element_from2(grad_mat[i, i], grad_mat[i, j], grad_mat[j, j])
                if d < dmin:
                    dmin = d
                    sol = [(i, j), c, d]
        return sol

    def _projection2simplex(y):
        m = len(y)
        sorted_y = torch.sort(y, descending=True)[0]
        tmpsum = 0.0
        tmax_f = (torch.sum(y) - 1.0) / m
        for i in range(m - 1):
            tmpsum += sorted_y[i]
            tmax = (tmpsum - 1) / (i + 1.0)
            if tmax > sorted_y[i + 1]:
                tmax_f = tmax
                break
        return torch.max(y - tmax_f, torch.zeros(m))

    def _next_point(cur_val, grad, n):
        proj_grad = grad - (torch.sum(grad) / n)
        tm1 = -1.0 * cur_val[proj_grad < 0] / proj_grad[proj_grad < 0]
        tm2 = (1.0 - cur_val[proj_grad > 0]) / (proj_grad[proj_grad > 0])
        t = torch.ones(1)
        if (tm1 > 1e-7).sum() > 0:
            t = torch.min(tm1[tm1 > 1e-7])
        if (tm2 > 1e-7).sum() > 0:
            t = torch.min(t, torch.min(tm2[tm2 > 1e-7]))
        return _projection2simplex(proj_grad * t + cur_val)

    grad_mat = grads.mm(grads.t())
    init_sol = _min_norm_2d(grad_mat)
    n = grads.size()[0]
    sol_vec = torch.zeros(n)
    sol_vec[init_sol[0][0]] = init_sol[1]
    sol_vec[init_sol[0][1]] = 1 - init_sol[1]
    if n < 3:
        return sol_vec
    for _ in range(250):
        grad_dir = -1.0 * torch.matmul(grad_mat, sol_vec)
        new_point = _next_point(sol_vec, grad_dir, n)
        v1v1 = torch.sum(sol_vec.unsqueeze(1) * sol_vec.unsqueeze(0) * grad_mat)
        v1v2 = torch.sum(sol_vec.unsqueeze(1) * new_point.unsqueeze(0) * grad_mat)
        v2v2 = torch.sum(new_point.unsqueeze(1) * new_point.unsqueeze(0) * grad_mat)
        nc, nd = _min_norm_element_from2(v1v1, v1v2, v2v2)
        new_sol_vec = nc * sol_vec + (1 - nc) * new_point
        if torch.sum(torch.abs(new_sol_vec - sol_vec)) < 1e-5:
            return sol_vec
        sol_vec = new_sol_vec
    return sol_vec


def pcgrad(grads, order):  # LibMTL PCGrad.backward, the shuffles given as `order`
    task_num = grads.size(0)
    batch_weight = [1.0] * task_num
    pc_grads = grads.clone()
    for tn_i in range(task_num):
        for tn_j in order[tn_i]:
            g_ij = torch.dot(pc_grads[tn_i], grads[tn_j])
            if g_ij < 0:
                pc_grads[tn_i] -= g_ij * grads[tn_j] / (grads[tn_j].norm().pow(2) + 1e-8)
                batch_weight[tn_j] -= (g_ij / (grads[tn_j].norm().pow(2) + 1e-8)).item()
    return pc_grads.sum(0), batch_weight


def gradnorm(grads, losses, initial, s, alpha=1.5):  # LibMTL GradNorm.backward, epoch >= 1
    loss_scale = torch.nn.Parameter(s.clone())
    task_num = grads.size(0)
    w = task_num * F.softmax(loss_scale, dim=-1)
    G_per_loss = torch.norm(w.unsqueeze(1) * grads, p=2, dim=-1)
    G = G_per_loss.mean(0)
    L_i = losses / initial
    r_i = L_i / L_i.mean()
    constant_term = (G * (r_i ** alpha)).detach()
    L_grad = (G_per_loss - constant_term).abs().sum(0)
    L_grad.backward()
    new_grads = sum(w.detach()[i] * grads[i] for i in range(task_num))
    return new_grads, loss_scale.grad, w.detach()


def show(name, t):
    print(name, ", ".join("%.10f" % v for v in torch.as_tensor(t).flatten().tolist()))


G3 = torch.tensor([[1.0, -2.0, 0.5, 3.0, -1.0],
                   [-0.5, 1.0, 2.0, -1.0, 0.0],
                   [2.0, 0.5, -1.5, 0.5, 1.0]])
show("mgda3", find_min_norm_element(G3))
show("mgda2", find_min_norm_element(G3[:2]))
g, w = pcgrad(G3, [[2, 0, 1], [1, 2, 0], [0, 1, 2]])
show("pcgrad3_grad", g)
show("pcgrad3_weight", w)
g, sg, w = gradnorm(G3, torch.tensor([0.8, 1.1, 0.3]), torch.tensor([2.0, 1.5, 1.0]),
                    torch.tensor([1.2, 0.7, 1.0]))
show("gradnorm3_grad", g)
show("gradnorm3_scale_grad", sg)
show("gradnorm3_weight", w)
