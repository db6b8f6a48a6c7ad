"""Turn a head's class-wise logits and assignments into the one ranking problem BRS ranks."""
from typing import Optional, Tuple

from torch import Tensor

# With ``zero_iou_negative=False`` a positive whose predicted box misses its ground truth (IoU 0)
# stays a positive with this target, ranked last among positives (target 0 means negative).
MIN_POSITIVE_TARGET = 1e-6


def flat_ranking_problem(cls_scores: Tensor,
                         labels: Tensor,
                         pos_ious: Tensor,
                         valid: Optional[Tensor] = None,
                         zero_iou_negative: bool = False) -> Tuple[Tensor, Tensor]:
    """Flatten every (prediction, class) pair of a batch into one ranking problem (Sec. 3.5).

    A pair is positive when the prediction is assigned to a ground truth of that class; its target
    is the IoU of the predicted box with that ground truth (detached). Every other pair is negative
    (target 0). Ignored predictions take no part.

    Args:
        cls_scores (Tensor): (N, C) class-wise sigmoid logits of all predictions of the batch
            (all images, levels or queries concatenated).
        labels (Tensor): (N,) assigned class in [0, C) for a positive; any other value (mmdet uses
            C, the background index) for a negative.
        pos_ious (Tensor): (P,) IoU of each positive prediction with its ground truth, positives
            in increasing index order (``labels`` in [0, C)); detached here.
        valid (Tensor, optional): (N,) bool, False for ignored predictions. Default: all valid.
        zero_iou_negative (bool): what a positive whose box has IoU 0 with its ground truth
            becomes. False (the thesis' intent): it stays positive, with target
            ``MIN_POSITIVE_TARGET``. True (the authors' released code, which writes the IoUs into
            a 0/1 label vector, so IoU 0 reads as a negative): it is a negative.

    Returns:
        tuple[Tensor, Tensor]: flat logits and targets, (M * C,) each, M the valid predictions.
    """
    if cls_scores.dim() != 2:
        raise ValueError(f'flat_ranking_problem: cls_scores must be (N, C), got shape '
                         f'{tuple(cls_scores.shape)}')
    num_preds, num_classes = cls_scores.shape
    if labels.shape != (num_preds, ):
        raise ValueError(f'flat_ranking_problem: labels must be ({num_preds},) to match cls_scores '
                         f'{tuple(cls_scores.shape)}, got {tuple(labels.shape)}')
    positive = (labels >= 0) & (labels < num_classes)
    num_pos = int(positive.sum())
    if pos_ious.shape != (num_pos, ):
        raise ValueError(f'flat_ranking_problem: pos_ious must hold one IoU per positive, shape '
                         f'({num_pos},), got {tuple(pos_ious.shape)}')
    if valid is not None and valid.shape != (num_preds, ):
        raise ValueError(f'flat_ranking_problem: valid must be ({num_preds},), got '
                         f'{tuple(valid.shape)}')

    targets = cls_scores.new_zeros((num_preds, num_classes))
    pos_rows = positive.nonzero(as_tuple=True)[0]
    min_target = 0.0 if zero_iou_negative else MIN_POSITIVE_TARGET
    targets[pos_rows, labels[pos_rows]] = pos_ious.detach().to(targets.dtype).clamp(
        min=min_target, max=1.0)
    if valid is not None:
        valid = valid.bool()
        return cls_scores[valid].reshape(-1), targets[valid].reshape(-1)
    return cls_scores.reshape(-1), targets.reshape(-1)
