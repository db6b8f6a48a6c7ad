"""ATSS-family heads without their quality branch (ATSS' centerness, PAA's IoU prediction).

RS/BRS/AP/BAP-ATSS and -PAA drop that branch (thesis Sec. 4.1): the ranking loss already orders the
positives by the IoUs of their boxes, so a separate quality score is not learnt.
"""
from typing import Optional, Tuple

from torch import Tensor

from mmdet.models.utils import multi_apply
from projects.models import atss_forward_without_centerness


class WithoutQualityBranchMixin:
    """Put before ``ATSSHead`` or a subclass: no ``atss_centerness`` conv, ``forward`` returns
    ``(cls_scores, bbox_preds, None)`` so mmdet's loss and predict steps see no score factors.

    Args:
        loss_centerness: must be ``None`` (there is no branch to train).
    """

    def __init__(self, *args, loss_centerness: Optional[dict] = None, **kwargs) -> None:
        if loss_centerness is not None:
            raise ValueError(f'{type(self).__name__} has no centerness/IoU branch (ranking-loss '
                             'heads drop it); set loss_centerness=None')
        super().__init__(*args, **kwargs)
        self.loss_centerness = None

    def _init_layers(self) -> None:
        super()._init_layers()
        del self.atss_centerness

    def forward(self, x: Tuple[Tensor]) -> Tuple:
        cls_scores, bbox_preds = multi_apply(self.forward_single, x, self.scales)
        return cls_scores, bbox_preds, None

    def forward_single(self, x: Tensor, scale) -> Tuple[Tensor, Tensor]:
        """(cls_score, bbox_pred) of one level: ``ATSSHead.forward_single`` without centerness."""
        return atss_forward_without_centerness(self, x, scale)
