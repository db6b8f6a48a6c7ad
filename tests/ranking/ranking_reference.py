"""Slow, plainly written float64 references of the thesis' ranking losses, and its synthetic data.

Everything here loops over Python floats, one pair at a time, straight from the equations, so it
can be checked by reading. ``reference_loss(..., bucketed=False)`` is Alg. 1 (RS / AP Loss),
``bucketed=True`` is Alg. 2 (BRS / BAP Loss).
"""
import math

import torch


def smoothed_step(x, delta):
    """H of Eq. 3.2; H(0) = 0.5 (delta = 0: the hard step of Eq. 3.43 with the same H(0))."""
    if delta == 0:
        return 0.5 if x == 0 else float(x > 0)
    return min(1.0, max(0.0, x / (2 * delta) + 0.5))


def _pairwise(pos, ious, negs, weights, delta, with_sorting, eps=1e-10):
    """Identity Update of Eq. 3.9 for positives vs. positives and weighted negatives."""
    num_pos = len(pos)
    rank_err, sort_err = [0.0] * num_pos, [0.0] * num_pos
    pos_rank_grad, pos_sort_grad = [0.0] * num_pos, [0.0] * num_pos
    neg_grad = [0.0] * len(negs)
    for i in range(num_pos):
        h_pos = [smoothed_step(pos[a] - pos[i], delta) for a in range(num_pos)]
        h_neg = [smoothed_step(negs[j] - pos[i], delta) for j in range(len(negs))]
        rank_pos = math.fsum(h_pos)                                   # rank^+(i), self = 0.5
        false_pos = math.fsum(w * h for w, h in zip(weights, h_neg))  # N_FP(i), Eq. 3.20
        rank_err[i] = false_pos / (rank_pos + false_pos)              # Eq. 3.12 / 3.20
        if false_pos > eps:
            pos_rank_grad[i] -= rank_err[i]
            for j in range(len(negs)):  # p_R(j|i) = b_j H(x_ij) / N_FP(i), then 1 / b_j per member
                neg_grad[j] += rank_err[i] * weights[j] * h_neg[j] / false_pos / weights[j]
        if not with_sorting:
            continue
        current = math.fsum(h_pos[a] * (1 - ious[a]) for a in range(num_pos)) / rank_pos
        in_target = [h_pos[a] * (ious[a] >= ious[i]) for a in range(num_pos)]
        target = (math.fsum(in_target[a] * (1 - ious[a]) for a in range(num_pos))
                  / math.fsum(in_target))                             # Eq. 3.13
        sort_err[i] = current - target
        missorted = [h_pos[a] * (ious[a] < ious[i]) for a in range(num_pos)]
        mass = math.fsum(missorted)
        if mass > eps:                                                # p_S of Eq. 3.16
            pos_sort_grad[i] -= sort_err[i]
            for a in range(num_pos):
                pos_sort_grad[a] += sort_err[i] * missorted[a] / mass
    return rank_err, sort_err, pos_rank_grad, pos_sort_grad, neg_grad


def reference_loss(logits, targets, delta, with_sorting=True, bucketed=False):
    """Return (ranking, sorting, ranking_grad, sorting_grad) as floats and float lists, / |P|."""
    logits = [float(v) for v in torch.as_tensor(logits).double().flatten()]
    targets = [float(v) for v in torch.as_tensor(targets).double().flatten()]
    pos_idx = [k for k, t in enumerate(targets) if t > 0]
    num_pos = len(pos_idx)
    ranking_grad, sorting_grad = [0.0] * len(logits), [0.0] * len(logits)
    if num_pos == 0:
        return 0.0, 0.0, ranking_grad, sorting_grad
    pos = [logits[k] for k in pos_idx]
    ious = [targets[k] for k in pos_idx]
    threshold = min(pos) - delta
    neg_idx = [k for k, t in enumerate(targets) if t == 0 and logits[k] >= threshold]
    if bucketed:
        # Bucket of a negative = the positives scoring strictly higher than it (Eq. 3.19).
        buckets = {}
        for k in neg_idx:
            buckets.setdefault(sum(p > logits[k] for p in pos), []).append(k)
        groups = list(buckets.values())
        negs = [math.fsum(logits[k] for k in g) / len(g) for g in groups]
        weights = [float(len(g)) for g in groups]
    else:
        groups = [[k] for k in neg_idx]
        negs = [logits[k] for k in neg_idx]
        weights = [1.0] * len(negs)
    rank_err, sort_err, pos_rank_grad, pos_sort_grad, neg_grad = _pairwise(
        pos, ious, negs, weights, delta, with_sorting)
    for group, g in zip(groups, neg_grad):
        for k in group:
            ranking_grad[k] = g / num_pos
    for k, gr, gs in zip(pos_idx, pos_rank_grad, pos_sort_grad):
        ranking_grad[k] = gr / num_pos
        sorting_grad[k] = gs / num_pos
    return (math.fsum(rank_err) / num_pos, math.fsum(sort_err) / num_pos, ranking_grad,
            sorting_grad)


def synthetic_logits(num_logits, positive_percent, seed, dtype=torch.float64):
    """Synthetic ranking problem of Sec. 4.1.1: positives ~ N(-1, 1), negatives ~ N(1, 1),
    IoUs ~ U(0, 1); at least one positive. Returns (logits, targets), negatives first."""
    gen = torch.Generator().manual_seed(seed)
    num_pos = max(1, round(num_logits * positive_percent / 100))
    num_neg = num_logits - num_pos
    logits = torch.cat((torch.randn(num_neg, generator=gen, dtype=torch.float64) + 1,
                        torch.randn(num_pos, generator=gen, dtype=torch.float64) - 1))
    ious = torch.rand(num_pos, generator=gen, dtype=torch.float64).clamp_min(1e-3)
    targets = torch.cat((torch.zeros(num_neg, dtype=torch.float64), ious))
    return logits.to(dtype), targets.to(dtype)


def fast_loss(logits, targets, delta, with_sorting=True, bucketed=True):
    """The package's loss: (ranking, sorting, ranking_grad, sorting_grad) as float64 tensors."""
    from brs_detr.ranking import ap_loss, rank_sort_loss

    x = logits.detach().clone().requires_grad_()
    if with_sorting:
        ranking, sorting = rank_sort_loss(x, targets, delta=delta, bucketed=bucketed)
        ranking_grad, = torch.autograd.grad(ranking, x, retain_graph=True)
        sorting_grad, = torch.autograd.grad(sorting, x)
    else:
        ranking = ap_loss(x, targets, delta=delta, bucketed=bucketed)
        ranking_grad, = torch.autograd.grad(ranking, x)
        sorting, sorting_grad = torch.zeros(()), torch.zeros_like(x)
    return tuple(v.detach().double() for v in (ranking, sorting, ranking_grad, sorting_grad))
