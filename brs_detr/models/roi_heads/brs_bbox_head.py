"""RoI box head with class-wise sigmoid scores trained by a ranking loss over all proposals."""
from typing import Optional

import torch
from torch import Tensor

from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.registry import MODELS
from mmdet.structures.bbox import get_box_tensor

from ..losses import check_rank_based_head, rank_based_head_losses


@MODELS.register_module()
class BRSShared2FCBBoxHead(Shared2FCBBoxHead):
    """Shared2FCBBoxHead of RS-R-CNN: ``num_classes`` sigmoid logits (no softmax, no background
    logit), ranked by BRS over all proposals of the batch (no sampling), with a self-balanced box
    loss on decoded boxes (thesis Sec. 3.5, 4.1 and 4.4).

    The sigmoid layout comes from the ranking loss (``custom_cls_channels`` /
    ``get_activation``), so prediction, NMS and the cascade's box refinement are inherited. Pair
    it with a sampler that keeps every proposal (``PseudoSampler`` or ``AllProposalsSampler``).
    A batch without RoIs gives zero losses that stay in the graph.

    Args:
        zero_iou_negative, max_score_box_weights (bool): see :func:`rank_based_head_losses`.
        Other arguments: see ``Shared2FCBBoxHead``.
    """

    def __init__(self,
                 *args,
                 zero_iou_negative: bool = False,
                 max_score_box_weights: bool = True,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        check_rank_based_head(self)
        self.zero_iou_negative = zero_iou_negative
        self.max_score_box_weights = max_score_box_weights

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
        num_regressors = 1 if self.reg_class_agnostic else self.num_classes
        pos_deltas = bbox_pred.view(bbox_pred.size(0), num_regressors,
                                    self.bbox_coder.encode_size)[positive]
        pos_deltas = pos_deltas[torch.arange(pos_deltas.size(0), device=pos_deltas.device),
                                0 if self.reg_class_agnostic else labels[positive]]
        pos_bbox_preds = get_box_tensor(
            self.bbox_coder.decode(rois[positive, 1:], pos_deltas))
        loss_cls, loss_bbox = rank_based_head_losses(
            self.loss_cls, self.loss_bbox,
            cls_scores=cls_score,
            labels=labels,
            pos_bbox_preds=pos_bbox_preds,
            pos_bbox_targets=get_box_tensor(bbox_targets[positive]),
            valid=label_weights > 0,
            zero_iou_negative=self.zero_iou_negative,
            max_score_box_weights=self.max_score_box_weights)
        return dict(loss_cls=loss_cls, loss_bbox=loss_bbox)
