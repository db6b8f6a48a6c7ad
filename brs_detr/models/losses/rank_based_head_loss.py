"""The loss step shared by the rank-based auxiliary heads (RPN, ATSS, RoI box head)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmdet.structures.bbox import bbox_overlaps

from .flat_ranking_problem import flat_ranking_problem
from .ranking_loss import RankingLoss
from .self_balance import max_score_weights, self_balance


def rank_based_head_losses(loss_cls: nn.Module,
                           loss_bbox: nn.Module,
                           cls_scores: Tensor,
                           labels: Tensor,
                           pos_bbox_preds: Tensor,
                           pos_bbox_targets: Tensor,
                           valid: Optional[Tensor] = None,
                           zero_iou_negative: bool = False,
                           max_score_box_weights: bool = True,
                           self_balance_box: bool = True) -> Tuple[Tensor, Tensor]:
    """Ranking loss and self-balanced box loss of an RS-style head (thesis Sec. 3.5 and 4.1).

    The ranking loss sees all predictions of the batch at once (no sampling); positives' targets are
    the IoUs of their decoded, detached boxes. The box loss (GIoU) is a mean over positives, weighted
    by each positive's detached max score or not (``max_score_box_weights``), then self-balanced to
    the ranking loss (Eq. 3.56).

    Args:
        loss_cls (nn.Module): a :class:`RankingLoss` (BRS, RS, BAP or AP).
        loss_bbox (nn.Module): an mmdet box loss on decoded boxes (e.g. GIoULoss).
        cls_scores (Tensor): (N, C) class-wise logits of all predictions of the batch.
        labels (Tensor): (N,) class in [0, C) for positives, C for negatives.
        pos_bbox_preds (Tensor): (P, 4) decoded boxes of the positives, in index order.
        pos_bbox_targets (Tensor): (P, 4) their ground-truth boxes.
        valid (Tensor, optional): (N,) False for ignored predictions.
        zero_iou_negative (bool): a positive whose box has IoU 0 becomes a negative (True, the
            authors' code) or stays a positive (False); see :func:`flat_ranking_problem`.
        max_score_box_weights (bool): True (RS Loss, the thesis, and the authors' standalone
            detectors, whose box loss has ``reduction='none'``): each positive's box loss is
            weighted by its detached max score, normalised by the weights' sum. False (the authors'
            Co-DETR aux heads -- RPN, RoI and ATSS -- whose box loss keeps mmdet's default
            ``reduction='mean'``: they multiply that already-reduced mean by the scores and divide
            by their sum, which leaves it unchanged): an unweighted mean over the positives. The
            self-balanced value is the same either way; the gradients differ.
        self_balance_box (bool): True (RS / BRS heads, Eq. 3.56): the box loss is scaled to the
            ranking loss's value each step, so its configured ``loss_weight`` cancels. False (the
            authors' one-stage AP / BAP heads): the box loss keeps its configured ``loss_weight``.

    Returns:
        tuple[Tensor, Tensor]: ranking loss and (self-balanced, by default) box loss.
    """
    pos_ious = bbox_overlaps(pos_bbox_preds.detach(), pos_bbox_targets, is_aligned=True)
    logits, targets = flat_ranking_problem(cls_scores, labels, pos_ious, valid,
                                           zero_iou_negative=zero_iou_negative)
    loss_rank = loss_cls(logits, targets)
    if pos_bbox_preds.numel() == 0:
        # keep the box branch in the graph (DDP) with a zero loss
        return loss_rank, pos_bbox_preds.sum()
    if max_score_box_weights:
        positive = (labels >= 0) & (labels < cls_scores.size(1))
        weights = max_score_weights(cls_scores[positive])
    else:
        weights = torch.ones_like(pos_ious)
    loss_box = loss_bbox(pos_bbox_preds, pos_bbox_targets, weight=weights,
                         avg_factor=weights.sum())
    if not self_balance_box:
        return loss_rank, loss_box
    return loss_rank, self_balance(loss_box, loss_rank)


def check_rank_based_head(head) -> None:
    """Fail at build time, naming the key, when a rank-based head is configured without a ranking
    loss or without decoded-box regression (its IoU targets and GIoU need decoded boxes)."""
    name = type(head).__name__
    if not isinstance(head.loss_cls, RankingLoss):
        raise TypeError(f'{name}: loss_cls must be a ranking loss (RankSortLoss or APLoss), got '
                        f'{type(head.loss_cls).__name__}')
    if not getattr(head, 'use_sigmoid_cls', True):
        raise ValueError(f'{name}: set loss_cls.use_sigmoid=True; ranking losses need one sigmoid '
                         'logit per class')
    if not head.reg_decoded_bbox:
        raise ValueError(f'{name}: set reg_decoded_bbox=True; ranking targets are IoUs of decoded '
                         'boxes')
