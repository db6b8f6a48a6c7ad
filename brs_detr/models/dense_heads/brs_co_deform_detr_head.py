"""BRS-DETR's query head: Co-DETR's with Eq. 3.56 in place of Eq. 3.55 (thesis Sec. 3.5)."""
from typing import List, Tuple

from torch import Tensor

from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_overlaps
from projects.models import CoDeformDETRHead

from ..losses import RankingLoss, flat_ranking_problem, self_balance


@MODELS.register_module()
class BRSCoDeformDETRHead(CoDeformDETRHead):
    """Co-DETR query head whose every loss is L_BRS + lambda_bbox L_bbox + lambda_IoU L_IoU
    (Eq. 3.56): on each decoder layer's one-to-one queries, on the encoder proposals and on each
    aux head's positive queries.

    The classification loss ranks all (query, class) pairs of the batch as one problem; a matched
    query's target is the IoU of its box with its ground truth. L1 and GIoU are the base head's,
    self-balanced: lambda_bbox = L_BRS / L_bbox and lambda_IoU = L_BRS / L_IoU, recomputed each
    iteration on detached values. ``loss_cls`` must be a :class:`RankingLoss`.

    Args:
        zero_iou_negative (bool): a matched query whose box has IoU 0 with its ground truth is a
            negative (True, the authors' released code) or a positive ranked last (False, the
            thesis' intent); see :func:`flat_ranking_problem`.
        Other arguments: see :class:`CoDeformDETRHead`.
    """

    def __init__(self, *args, zero_iou_negative: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zero_iou_negative = zero_iou_negative
        if not isinstance(self.loss_cls, RankingLoss):
            raise TypeError(f'{type(self).__name__}: loss_cls must be a ranking loss '
                            f'(RankSortLoss or APLoss), got {type(self.loss_cls).__name__}')

    def loss_from_targets(self, cls_scores: Tensor, bbox_preds: Tensor, labels: Tensor,
                          label_weights: Tensor, bbox_targets: Tensor, bbox_weights: Tensor,
                          batch_img_metas: List[dict]) -> Tuple[Tensor, Tensor, Tensor]:
        """(L_BRS, lambda_bbox L_bbox, lambda_IoU L_IoU) of one set of queries of the batch."""
        labels = labels.reshape(-1)
        positive = (labels >= 0) & (labels < self.num_classes)
        # IoU is unchanged by scaling x and y, so normalised boxes give the pixel IoU.
        pos_ious = bbox_overlaps(
            bbox_cxcywh_to_xyxy(bbox_preds.reshape(-1, 4)[positive]).detach(),
            bbox_cxcywh_to_xyxy(bbox_targets.reshape(-1, 4)[positive]),
            is_aligned=True)
        logits, targets = flat_ranking_problem(
            cls_scores.reshape(-1, cls_scores.size(-1)), labels, pos_ious,
            label_weights.reshape(-1) > 0, zero_iou_negative=self.zero_iou_negative)
        loss_cls = self.loss_cls(logits, targets)
        loss_bbox, loss_iou = self.box_losses_from_targets(bbox_preds, bbox_targets, bbox_weights,
                                                           batch_img_metas)
        return loss_cls, self_balance(loss_bbox, loss_cls), self_balance(loss_iou, loss_cls)
