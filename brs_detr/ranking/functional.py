"""Public functional API: Rank & Sort Loss and AP Loss, bucketed (Alg. 2) or not (Alg. 1)."""
from typing import Tuple

import torch

from .bucketed_rank_sort import bucketed_rank_sort_update
from .inputs import check_inputs, compute_dtype
from .rank_sort import rank_sort_update


class _RankingLossFunction(torch.autograd.Function):
    """Computes the Identity-Update gradient (Eq. 3.9) in forward; backward scales it.

    Outputs the mean ranking error and the mean sorting error over the positives. Their gradients
    are kept apart, so backward returns ``g_rank * dL_R/ds + g_sort * dL_S/ds`` and
    ``(ranking + sorting).backward()`` gives the RS Loss gradient of Eq. 3.17 - 3.18 / |P|.
    """

    @staticmethod
    def forward(ctx, logits, targets, delta, bucketed, with_sorting, assign):
        dtype = compute_dtype(logits.dtype)
        flat_logits = logits.reshape(-1).to(dtype)
        flat_targets = targets.reshape(-1).to(dtype)
        ctx.input_shape, ctx.input_dtype = logits.shape, logits.dtype
        # The positives' count is the one value the host must know (it sizes every later step).
        positive_index = (flat_targets > 0).nonzero().squeeze(1)
        ctx.num_pos = positive_index.numel()
        if ctx.num_pos == 0:
            ctx.save_for_backward(torch.zeros_like(flat_logits), flat_logits.new_zeros(0),
                                  positive_index)
            zero = logits.new_zeros(())
            return zero, zero.clone()
        if bucketed:
            update = bucketed_rank_sort_update(flat_logits, flat_targets, delta, with_sorting, assign,
                                               positive_index=positive_index)
        else:
            update = rank_sort_update(flat_logits, flat_targets, delta, with_sorting,
                                      positive_index=positive_index)
        # Saved un-normalised: backward scales by out_grad / |P| in its one pass over the logits.
        ctx.save_for_backward(update.ranking_grad, update.sorting_grad, positive_index)
        return (update.ranking_errors.mean().to(logits.dtype),
                update.sorting_errors.mean().to(logits.dtype))

    @staticmethod
    def backward(ctx, ranking_out_grad, sorting_out_grad):
        ranking_grad, sorting_grad, positive_index = ctx.saved_tensors
        scale = 1.0 / max(ctx.num_pos, 1)
        grad = ranking_grad * (ranking_out_grad.to(ranking_grad.dtype) * scale)
        grad.index_add_(0, positive_index,
                        sorting_grad * (sorting_out_grad.to(sorting_grad.dtype) * scale))
        return grad.view(ctx.input_shape).to(ctx.input_dtype), None, None, None, None, None


def ranking_loss(logits: torch.Tensor, targets: torch.Tensor, delta: float, bucketed: bool,
                 with_sorting: bool, assign: str = "grid") -> Tuple[torch.Tensor, torch.Tensor]:
    """(mean ranking error, mean sorting error) of RS Loss, or of AP Loss without sorting.

    The common entry of :func:`rank_sort_loss` and :func:`ap_loss`; ``assign`` picks how the
    bucketed loss finds each negative's bucket (see ``bucketed_rank_sort_update``).
    """
    check_inputs(logits, targets, delta)
    return _RankingLossFunction.apply(logits, targets, float(delta), bucketed, with_sorting, assign)


def rank_sort_loss(logits: torch.Tensor, targets: torch.Tensor, delta: float = 0.5,
                   bucketed: bool = True) -> Tuple[torch.Tensor, torch.Tensor]:
    """Rank & Sort Loss (Eq. 3.11) as (mean ranking error, mean sorting error), 0-dim tensors.

    Args:
        logits: float16/bfloat16/float32/float64 logits of any shape (flattened into one ranking).
        targets: same shape; 0 for a negative, the IoU in (0, 1] for a positive.
        delta: width of the smoothed step H (Eq. 3.2); 0.5 as in RS Loss.
        bucketed: True for Bucketed RS Loss (Alg. 2: buckets of negatives, O(N log P + P^2) time),
            False for RS Loss as published (Alg. 1: loop over positives, O(P N) time).

    Backward gives the Identity-Update gradient / |P| (Eq. 3.17 - 3.18; bucketed: Eq. 3.34, 3.38),
    computed in at least float32 and returned in the dtype of ``logits``. Negatives below
    min(positive logit) - delta get a zero gradient. With no positive both errors and the gradient
    are 0. Raises ValueError on mismatched shapes, NaN/Inf logits or targets outside [0, 1].
    """
    return ranking_loss(logits, targets, delta, bucketed, with_sorting=True)


def ap_loss(logits: torch.Tensor, targets: torch.Tensor, delta: float = 1.0,
            bucketed: bool = True) -> torch.Tensor:
    """AP Loss with Identity Update (Eq. 3.10): the mean ranking error, a 0-dim tensor.

    RS Loss without its sorting error, under the same conventions (H(0) = 0.5 on the self-comparison,
    the ranking pmf of Eq. 3.15); not the interpolated AP of the original AP-Loss code. Targets > 0
    are positives (their value is not used). ``bucketed=True`` is Bucketed AP Loss (Eq. 3.30, 3.33),
    ``False`` AP Loss as in Alg. 1. Gradient, dtypes and errors as in :func:`rank_sort_loss`.
    """
    return ranking_loss(logits, targets, delta, bucketed, with_sorting=False)[0]
