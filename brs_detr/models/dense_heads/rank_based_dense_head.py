"""The BRS loss step of the anchor-based dense heads (ATSS, PAA, RetinaNet, Co-DETR's ATSS aux).

One mixin holds it so every such head ranks its anchors the same way (thesis Sec. 3.5, 4.1, 4.3):
decode the positives' boxes, then hand the batch to the shared step :func:`rank_based_head_losses`.
"""
from typing import Dict

from torch import Tensor

from ..losses import check_rank_based_head, rank_based_head_losses


class RankBasedDenseHeadMixin:
    """Put before an mmdet anchor head (``class H(RankBasedDenseHeadMixin, ATSSHead)``).

    Args:
        zero_iou_negative (bool): a positive whose decoded box misses its ground truth (IoU 0)
            ranks as a negative, as the authors' ``RankBasedATSSHead``/``RankBasedPAAHead`` do
            (their IoU target 0 marks a negative); False keeps it a positive (the thesis' intent).
        max_score_box_weights (bool): weight each positive's GIoU by its detached max class score
            (RS Loss' localisation weighting, the authors' one-stage heads); False: plain mean.
        self_balance_box (bool): scale the GIoU to the ranking loss each step (RS / BRS, Eq. 3.56);
            False keeps the GIoU's configured weight, as the authors' AP / BAP heads do.
        Other arguments: the mmdet head's. ``loss_cls`` must be a ranking loss and
        ``reg_decoded_bbox`` True (checked).
    """

    def __init__(self, *args, zero_iou_negative: bool = False,
                 max_score_box_weights: bool = True, self_balance_box: bool = True,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        check_rank_based_head(self)
        self.zero_iou_negative = zero_iou_negative
        self.max_score_box_weights = max_score_box_weights
        self.self_balance_box = self_balance_box

    def rank_based_dense_losses(self, cls_scores: Tensor, deltas: Tensor, anchors: Tensor,
                                labels: Tensor, label_weights: Tensor,
                                bbox_targets: Tensor) -> Dict[str, Tensor]:
        """Ranking loss over every anchor of the batch and self-balanced GIoU of the positives.

        Args:
            cls_scores: (N, C) logits of every anchor of every image and level; deltas: (N, 4)
                predicted deltas; anchors: (N, 4); labels: (N,) class or C for negatives;
                label_weights: (N,) 0 for ignored anchors; bbox_targets: (N, 4) assigned
                ground-truth boxes in pixels (mmdet's targets with ``reg_decoded_bbox=True``).
        """
        positive = (labels >= 0) & (labels < self.num_classes)
        pos_bbox_preds = self.bbox_coder.decode(anchors[positive], deltas[positive])
        loss_cls, loss_bbox = rank_based_head_losses(
            self.loss_cls, self.loss_bbox,
            cls_scores=cls_scores,
            labels=labels,
            pos_bbox_preds=pos_bbox_preds,
            pos_bbox_targets=bbox_targets[positive],
            valid=label_weights > 0,
            zero_iou_negative=self.zero_iou_negative,
            max_score_box_weights=self.max_score_box_weights,
            self_balance_box=self.self_balance_box)
        return dict(loss_cls=loss_cls, loss_bbox=loss_bbox)
