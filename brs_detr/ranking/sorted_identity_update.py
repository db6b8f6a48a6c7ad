"""The Identity Update of ``identity_update.pairwise_identity_update`` without the P x P matrices.

Every pairwise sum it needs is a sum of smoothed steps (``step_sums``): rank^+, N_FP and the
current sorting error over sorted logits (O((P + M) log P)); the target sorting error, the sorting
pmf's mass and the demotion of Eq. 3.17 also condition on the IoUs, a key handled by divide and
conquer (O(P log^2 P)). Same results up to float64 rounding of the prefix sums.
"""
from typing import Optional

import torch

from .identity_update import PMF_EPS, PairwiseUpdate
from .step_sums import keyed_step_sums, step_sums


def sorted_identity_update(pos_logits: torch.Tensor, pos_targets: torch.Tensor,
                           neg_logits: torch.Tensor, neg_weights: Optional[torch.Tensor],
                           delta: float, with_sorting: bool) -> PairwiseUpdate:
    """Identity Update (Eq. 3.9) of ranking (Eq. 3.15, 3.20) and sorting errors (Eq. 3.12 - 3.17).

    Arguments as in ``pairwise_identity_update``; computed in float64, returned in the dtype of
    ``pos_logits``.
    """
    dtype = pos_logits.dtype
    s, t = pos_logits.double(), pos_targets.double()
    if neg_weights is None:
        neg_weights = torch.ones_like(neg_logits)
    zero = torch.zeros((), dtype=torch.float64, device=s.device)
    rank_pos, current_num = step_sums(s, torch.stack((torch.ones_like(t), 1.0 - t)), s, delta)
    false_pos = step_sums(neg_logits, neg_weights[None], s, delta)[0]
    ranking_errors = false_pos / (rank_pos + false_pos)
    ranked = false_pos > PMF_EPS
    pmf_scale = torch.where(ranked, ranking_errors / false_pos, zero)
    # sum_i c_i H(p_j - s_i) = sum_i c_i - sum_i c_i H(s_i - p_j), as H(-x) = 1 - H(x).
    negative_grad = pmf_scale.sum() - step_sums(s, pmf_scale[None], neg_logits, delta)[0]

    sorting_errors = torch.zeros_like(s)
    positive_sorting_grad = torch.zeros_like(s)
    if with_sorting:
        missorted_mass, missorted_num = keyed_step_sums(
            s, t, torch.stack((torch.ones_like(t), 1.0 - t)), s, t, delta)  # IoU_j < IoU_i
        target = (current_num - missorted_num) / (rank_pos - missorted_mass)  # Eq. 3.13
        sorting_errors = current_num / rank_pos - target
        sorted_ = missorted_mass > PMF_EPS
        demote = torch.where(sorted_, sorting_errors / missorted_mass, zero)
        # sum_i demote_i H(s_a - s_i) [IoU_a < IoU_i], again through H(-x) = 1 - H(x).
        sorted_t, order = torch.sort(t)
        higher = demote[order].flip(0).cumsum(0).flip(0)
        higher = torch.cat((higher, higher.new_zeros(1)))[
            torch.searchsorted(sorted_t, t, right=True)]
        demoted = higher - keyed_step_sums(s, -t, demote[None], s, -t, delta)[0]
        positive_sorting_grad = demoted - torch.where(sorted_, sorting_errors, zero)

    return PairwiseUpdate(ranking_errors.to(dtype), sorting_errors.to(dtype),
                          torch.where(ranked, -ranking_errors, zero).to(dtype),
                          positive_sorting_grad.to(dtype), negative_grad.to(dtype))
