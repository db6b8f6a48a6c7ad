"""Bucketed Rank & Sort Loss and Bucketed AP Loss (thesis Algorithm 2, Eq. 3.19 - 3.38).

Consecutive non-trivial negatives between two positives form a bucket (Eq. 3.19); each bucket
becomes one prototype negative at its mean logit with weight b_j (0 for an empty one). Finding the buckets takes
O(N) (a grid lookup among the sorted positives, see ``buckets``; no sort of the N logits) and
O(N) reductions, then the positives meet the <= P + 1 prototypes; no loop over positives or
buckets. Up to ``dense_max_positives`` positives the P x P and P x (P + 1) matrices are formed,
in blocks of rows bounded by ``block_elements`` (memory O(N + block_elements)); beyond, the same
sums come from prefix sums over sorted logits (``sorted_identity_update``: O(P log^2 P) time,
O(N + P) memory), so 50,000 or 100,000 positives take about a second.
"""
from typing import Optional

import torch

from .buckets import BUCKET_COUNTERS, bucket_ids, bucket_prototypes
from .identity_update import FlatUpdate, pairwise_identity_update, split_positives
from .sorted_identity_update import sorted_identity_update

#: Elements of one block of pairwise rows (dense path).
DEFAULT_BLOCK_ELEMENTS = 1 << 20
#: Largest number of positives handled with pairwise matrices (exact to the last bit of the
#: compute dtype); more positives go through prefix sums (float64, about 1e-12 absolute).
DEFAULT_DENSE_MAX_POSITIVES = 1024


def bucketed_rank_sort_update(logits: torch.Tensor, targets: torch.Tensor, delta: float,
                              with_sorting: bool, assign: str = "grid",
                              block_elements: int = DEFAULT_BLOCK_ELEMENTS,
                              dense_max_positives: int = DEFAULT_DENSE_MAX_POSITIVES,
                              positive_index: Optional[torch.Tensor] = None) -> FlatUpdate:
    """Errors and gradients of BRS Loss (Eq. 3.34, 3.38) or, without sorting, BAP Loss (Eq. 3.30, 3.33).

    ``logits`` and ``targets`` are flat, in the compute dtype, with at least one positive
    (``positive_index``: their flat indices, if known).
    ``assign`` picks how negatives find their bucket (see ``buckets``): ``"grid"`` (default,
    fastest), ``"search"`` (O(N log P) binary search) or ``"sort"`` (one sort of all logits).
    """
    if assign not in BUCKET_COUNTERS:
        raise ValueError(f"assign must be one of {sorted(BUCKET_COUNTERS)}, got {assign!r}")
    positive_index, pos_logits, pos_targets = split_positives(logits, targets, positive_index)
    num_pos = pos_logits.numel()
    ids = bucket_ids(logits, positive_index, torch.sort(pos_logits).values, delta, assign)
    sizes, prototypes = bucket_prototypes(logits, ids, num_pos)
    if num_pos <= dense_max_positives:
        rows = max(1, block_elements // (num_pos + prototypes.numel()))
        update = pairwise_identity_update(pos_logits, pos_targets, prototypes, sizes, delta,
                                          with_sorting, rows_per_block=rows)
    else:
        update = sorted_identity_update(pos_logits, pos_targets, prototypes, sizes, delta,
                                        with_sorting)
    # Each negative receives its prototype's gradient / b_j (Alg. 2, line 11); id 0 gets 0.
    member_grad = torch.cat((update.negative_grad.new_zeros(1), update.negative_grad))
    ranking_grad = member_grad.index_select(0, ids)
    ranking_grad.index_copy_(0, positive_index, update.positive_ranking_grad)
    return FlatUpdate(update.ranking_errors, update.sorting_errors, ranking_grad,
                      update.positive_sorting_grad, positive_index)
