"""RoI box head with class-wise sigmoid scores trained by a ranking loss over all proposals."""
from typing import Optional

from torch import Tensor

from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.registry import MODELS
from mmdet.structures.bbox import get_box_tensor

from ..losses import check_rank_based_head, rank_based_head_losses


@MODELS.register_module()
class BRSShared2FCBBoxHead(Shared2FCBBoxHead):
    """Shared2FCBBoxHead of RS-R-CNN: ``num_classes`` sigmoid logits (no softmax, no background
    logit), ranked by BRS over all proposals of the batch (no sampling), with a self-balanced box
    loss on decoded boxes (thesis Sec. 3.5 and 4.1).

    The sigmoid layout comes from the ranking loss (``custom_cls_channels`` /
    ``get_activation``), so prediction and NMS are inherited. Pair it with a ``PseudoSampler``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        check_rank_based_head(self)

    def loss(self,
             cls_score: Tensor,
             bbox_pred: Tensor,
             rois: Tensor,
             labels: Tensor,
             label_weights: Tensor,
             bbox_targets: Tensor,
             bbox_weights: Tensor,
             reduction_override: Optional[str] = None) -> dict:
        """Ranking loss over every (proposal, class) pair plus the balanced box loss."""
        positive = (labels >= 0) & (labels < self.num_classes)
        pos_deltas = bbox_pred.view(bbox_pred.size(0), -1, self.bbox_coder.encode_size)[positive]
        if not self.reg_class_agnostic:
            pos_deltas = pos_deltas[range(pos_deltas.size(0)), labels[positive]]
        pos_bbox_preds = get_box_tensor(
            self.bbox_coder.decode(rois[positive, 1:], pos_deltas.reshape(-1, 4)))
        loss_cls, loss_bbox = rank_based_head_losses(
            self.loss_cls, self.loss_bbox,
            cls_scores=cls_score,
            labels=labels,
            pos_bbox_preds=pos_bbox_preds,
            pos_bbox_targets=get_box_tensor(bbox_targets[positive]),
            valid=label_weights > 0)
        return dict(loss_cls=loss_cls, loss_bbox=loss_bbox)
