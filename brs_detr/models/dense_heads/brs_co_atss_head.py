"""ATSS aux head of BRS-DETR: RS-ATSS's losses in Co-DETR's ATSS head (thesis Sec. 3.5, 4.1)."""
from typing import Dict, Optional

from torch import Tensor

from mmdet.registry import MODELS
from projects.models import AtssTargets, CoATSSHead

from ..losses import check_rank_based_head, rank_based_head_losses


@MODELS.register_module()
class BRSCoATSSHead(CoATSSHead):
    """CoATSSHead with a ranking loss (BRS) over all anchors of the batch instead of Focal Loss,
    no centerness branch, and a self-balanced GIoU weighted by each positive's max score."""

    def __init__(self, *args, loss_centerness: Optional[dict] = None, **kwargs) -> None:
        if loss_centerness is not None:
            raise ValueError(f'{type(self).__name__} has no centerness branch (RS-ATSS); set '
                             'loss_centerness=None')
        super().__init__(*args, loss_centerness=None, **kwargs)
        check_rank_based_head(self)

    def loss_from_targets(self, cls_scores: Tensor, bbox_preds: Tensor,
                          centernesses: Optional[Tensor],
                          targets: AtssTargets) -> Dict[str, Tensor]:
        """Ranking loss and balanced GIoU from (bs, A, C) logits and (bs, A, 4) deltas."""
        labels = targets.labels.reshape(-1)
        positive = (labels >= 0) & (labels < self.num_classes)
        pos_bbox_preds = self.bbox_coder.decode(targets.anchors.reshape(-1, 4)[positive],
                                                bbox_preds.reshape(-1, 4)[positive])
        loss_cls, loss_bbox = rank_based_head_losses(
            self.loss_cls, self.loss_bbox,
            cls_scores=cls_scores.reshape(-1, self.cls_out_channels),
            labels=labels,
            pos_bbox_preds=pos_bbox_preds,
            pos_bbox_targets=targets.bbox_targets.reshape(-1, 4)[positive],
            valid=targets.label_weights.reshape(-1) > 0)
        return dict(loss_cls=loss_cls, loss_bbox=loss_bbox)
