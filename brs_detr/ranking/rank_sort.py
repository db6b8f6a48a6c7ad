"""Rank & Sort Loss and AP Loss with Identity Update, unbucketed (thesis Algorithm 1).

The published algorithm and this package's ground truth: a loop over the positives, each compared
with every positive and every non-trivial negative. O(|P| |N|) time, O(|P| + |N|) memory.
"""
from typing import Optional

import torch

from .identity_update import FlatUpdate, pairwise_identity_update, split_positives


def rank_sort_update(logits: torch.Tensor, targets: torch.Tensor, delta: float,
                     with_sorting: bool, positive_index: Optional[torch.Tensor] = None) -> FlatUpdate:
    """Errors and gradients of RS Loss (Eq. 3.11 - 3.18) or, without sorting, AP Loss (Eq. 3.10).

    ``logits`` and ``targets`` are flat, in the compute dtype, with at least one positive
    (``positive_index``: their flat indices, if known). Negatives below min(positive logit) - delta
    are trivial (Alg. 1, line 2): they take no part and get a zero gradient.
    """
    positive_index, pos_logits, pos_targets = split_positives(logits, targets, positive_index)
    threshold = pos_logits.min() - delta
    negative_index = ((targets == 0) & (logits >= threshold)).nonzero().squeeze(1)
    update = pairwise_identity_update(pos_logits, pos_targets, logits[negative_index], None, delta,
                                      with_sorting, rows_per_block=1)
    ranking_grad = torch.zeros_like(logits)
    ranking_grad[negative_index] = update.negative_grad
    ranking_grad[positive_index] = update.positive_ranking_grad
    return FlatUpdate(update.ranking_errors, update.sorting_errors, ranking_grad,
                      update.positive_sorting_grad, positive_index)
