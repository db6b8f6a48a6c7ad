"""Identity-Update gradients of ranking and sorting errors between positives and (weighted) negatives.

Both algorithms of the thesis reduce to the same pairwise step once the negatives are fixed:
Algorithm 1 (RS / AP Loss) uses every non-trivial negative with weight 1, one positive at a time;
Algorithm 2 (BRS / BAP Loss) uses one prototype per bucket, weighted by the bucket size b_j, and
processes the positives in blocks of rows (or, for many positives, ``sorted_identity_update``).
This module holds that shared step.
"""
from typing import NamedTuple, Optional

import torch

from .step import pairwise_step

#: An error is distributed over the examples that cause it only when its pmf's denominator
#: (N_FP(i) of Eq. 3.15, the missorted mass of Eq. 3.16) exceeds this, as in the published RS Loss.
PMF_EPS = 1e-10


class PairwiseUpdate(NamedTuple):
    """Per-positive errors and un-normalised (not yet divided by |P|) Identity-Update gradients."""

    ranking_errors: torch.Tensor
    """l_R(i) = N_FP(i) / rank(i) for every positive (Eq. 3.12, bucketed: Eq. 3.20)."""
    sorting_errors: torch.Tensor
    """l_S(i) - l_S*(i) for every positive (Eq. 3.12 - 3.13); zeros without the sorting objective."""
    positive_ranking_grad: torch.Tensor
    """-l_R(i) where N_FP(i) > PMF_EPS, else 0 (Eq. 3.17 / 3.30 / 3.38, ranking part)."""
    positive_sorting_grad: torch.Tensor
    """Promotion -(l_S(i) - l_S*(i)) plus demotion sum_j (l_S(j) - l_S*(j)) p_S(i|j) (Eq. 3.17)."""
    negative_grad: torch.Tensor
    """sum_i l_R(i) H(x_ij) / N_FP(i) per negative column j (Eq. 3.18). For a prototype this is
    its gradient divided by b_j, i.e. the gradient of each negative in its bucket (Eq. 3.33)."""


def pairwise_identity_update(
    pos_logits: torch.Tensor,
    pos_targets: torch.Tensor,
    neg_logits: torch.Tensor,
    neg_weights: Optional[torch.Tensor],
    delta: float,
    with_sorting: bool,
    rows_per_block: int,
) -> PairwiseUpdate:
    """Identity Update (Eq. 3.9) for positives against positives and against weighted negatives.

    Rows are positives i, taken ``rows_per_block`` at a time so that the working set is
    O(rows_per_block * (P + M)) memory; each block holds complete rows, so every error is final
    within its block and its gradient is distributed at once.

    Args:
        pos_logits, pos_targets: (P,) logits and IoUs of the positives.
        neg_logits: (M,) the negatives compared with the positives (all non-trivial negatives for
            Alg. 1, the bucket prototypes for Alg. 2).
        neg_weights: (M,) multiplicities b_j of the negatives in N_FP and rank (Eq. 3.20), or None
            for weight 1.
        delta: width of the smoothed step (Eq. 3.2).
        with_sorting: add the sorting error of RS Loss (Eq. 3.12 - 3.17); without it: AP Loss
            with Identity Update (Eq. 3.10).
        rows_per_block: positives processed together.
    """
    num_pos = pos_logits.numel()
    dtype = pos_logits.dtype
    ranking_errors = torch.empty_like(pos_logits)
    sorting_errors = torch.zeros_like(pos_logits)
    positive_ranking_grad = torch.empty_like(pos_logits)
    positive_sorting_grad = torch.zeros_like(pos_logits)
    negative_grad = torch.zeros_like(neg_logits)
    inverse_ious = 1.0 - pos_targets
    zero = torch.zeros((), dtype=dtype, device=pos_logits.device)

    for start in range(0, num_pos, rows_per_block):
        rows = slice(start, min(start + rows_per_block, num_pos))
        row_logits = pos_logits[rows]
        pos_step = pairwise_step(pos_logits, row_logits, delta)  # H(s_a - s_i), H(0) = 0.5 on self
        rank_pos = pos_step.sum(1)

        neg_step = pairwise_step(neg_logits, row_logits, delta)
        false_pos = neg_step.sum(1) if neg_weights is None else neg_step @ neg_weights
        errors = false_pos / (rank_pos + false_pos)
        ranked = false_pos > PMF_EPS
        ranking_errors[rows] = errors
        positive_ranking_grad[rows] = torch.where(ranked, -errors, zero)
        # Ranking pmf p_R(j|i) = b_j H(x_ij) / N_FP(i) (Eq. 3.15); a member of bucket j gets 1 / b_j of it.
        negative_grad.addmv_(neg_step.T, torch.where(ranked, errors / false_pos, zero))

        if with_sorting:
            row_targets = pos_targets[rows]
            current = (pos_step @ inverse_ious) / rank_pos
            target_step = torch.where(pos_targets[None, :] >= row_targets[:, None], pos_step, zero)
            sort_errors = current - (target_step @ inverse_ious) / target_step.sum(1)  # Eq. 3.12 - 3.13
            missorted = pos_step.sub_(target_step)  # H(x_ij) [IoU_j < IoU_i], numerator of Eq. 3.16
            missorted_mass = missorted.sum(1)
            sorted_ = missorted_mass > PMF_EPS
            sorting_errors[rows] = sort_errors
            positive_sorting_grad[rows] -= torch.where(sorted_, sort_errors, zero)
            positive_sorting_grad.addmv_(
                missorted.T, torch.where(sorted_, sort_errors / missorted_mass, zero))

    return PairwiseUpdate(ranking_errors, sorting_errors, positive_ranking_grad,
                          positive_sorting_grad, negative_grad)


class FlatUpdate(NamedTuple):
    """Errors and un-normalised gradients over a whole flat ranking problem."""

    ranking_errors: torch.Tensor
    """(P,) ranking error of each positive."""
    sorting_errors: torch.Tensor
    """(P,) sorting error of each positive (zeros for AP Loss)."""
    ranking_grad: torch.Tensor
    """(N,) gradient of the summed ranking errors wrt. every logit; 0 on trivial negatives."""
    sorting_grad: torch.Tensor
    """(P,) gradient of the summed sorting errors wrt. the positives (it is 0 on negatives)."""
    positive_index: torch.Tensor
    """(P,) flat indices of the positives."""


def split_positives(logits: torch.Tensor, targets: torch.Tensor,
                    positive_index: Optional[torch.Tensor] = None):
    """Flat indices, logits and IoUs of the positives (targets > 0); ``positive_index``, when the
    caller has it already, saves a pass and a host-device synchronisation."""
    if positive_index is None:
        positive_index = (targets > 0).nonzero().squeeze(1)
    return (positive_index, logits.index_select(0, positive_index),
            targets.index_select(0, positive_index))
