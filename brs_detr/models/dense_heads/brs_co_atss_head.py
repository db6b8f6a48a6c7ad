"""ATSS aux head of BRS-DETR: RS-ATSS's losses in Co-DETR's ATSS head (thesis Sec. 3.5, 4.1)."""
from typing import Dict, Optional

from torch import Tensor

from mmdet.registry import MODELS
from projects.models import AtssTargets, CoATSSHead

from .rank_based_dense_head import RankBasedDenseHeadMixin


@MODELS.register_module()
class BRSCoATSSHead(RankBasedDenseHeadMixin, CoATSSHead):
    """CoATSSHead with a ranking loss (BRS) over all anchors of the batch instead of Focal Loss,
    no centerness branch, and a self-balanced GIoU: the loss step of the plain BRS-ATSS head
    (:class:`RankBasedDenseHeadMixin`), on Co-DETR's ATSS targets."""

    def __init__(self, *args, loss_centerness: Optional[dict] = None, **kwargs) -> None:
        if loss_centerness is not None:
            raise ValueError(f'{type(self).__name__} has no centerness branch (RS-ATSS); set '
                             'loss_centerness=None')
        super().__init__(*args, loss_centerness=None, **kwargs)

    def loss_from_targets(self, cls_scores: Tensor, bbox_preds: Tensor,
                          centernesses: Optional[Tensor],
                          targets: AtssTargets) -> Dict[str, Tensor]:
        """Ranking loss and balanced GIoU from (bs, A, C) logits and (bs, A, 4) deltas."""
        return self.rank_based_dense_losses(
            cls_scores.reshape(-1, self.cls_out_channels), bbox_preds.reshape(-1, 4),
            targets.anchors.reshape(-1, 4), targets.labels.reshape(-1),
            targets.label_weights.reshape(-1), targets.bbox_targets.reshape(-1, 4))
