"""RPN trained with a ranking loss over all anchors (RS-R-CNN; BRS-DETR's Faster R-CNN aux head)."""
from typing import List

import torch
from torch import Tensor

from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS
from mmdet.structures.bbox import cat_boxes, get_box_tensor
from mmdet.utils import InstanceList, OptInstanceList

from ..losses import check_rank_based_head, rank_based_head_losses
from .flatten_levels import outputs_to_rows, targets_to_rows


@MODELS.register_module()
class BRSRPNHead(RPNHead):
    """RPNHead whose loss is a ranking loss (BRS) over every anchor of the batch, without sampling,
    plus a self-balanced box loss on decoded boxes (thesis Sec. 3.5 and 4.1).

    Configure ``loss_cls`` as a :class:`RankingLoss`, ``loss_bbox`` as a box loss on decoded boxes
    (GIoULoss), ``reg_decoded_bbox=True`` and a ``PseudoSampler`` in ``train_cfg``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        check_rank_based_head(self)

    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        """All anchors of all levels and images form one ranking problem."""
        featmap_sizes = [featmap.size()[-2:] for featmap in cls_scores]
        anchor_list, valid_flag_list = self.get_anchors(
            featmap_sizes, batch_img_metas, device=cls_scores[0].device)
        labels_list, label_weights_list, bbox_targets_list, _, _ = self.get_targets(
            anchor_list, valid_flag_list, batch_gt_instances, batch_img_metas,
            batch_gt_instances_ignore=batch_gt_instances_ignore)

        labels = targets_to_rows(labels_list)
        positive = (labels >= 0) & (labels < self.num_classes)
        anchors = torch.cat([get_box_tensor(cat_boxes(anchors)) for anchors in anchor_list])
        deltas = outputs_to_rows(bbox_preds, self.bbox_coder.encode_size)
        pos_bbox_preds = get_box_tensor(
            self.bbox_coder.decode(anchors[positive], deltas[positive]))
        loss_cls, loss_bbox = rank_based_head_losses(
            self.loss_cls, self.loss_bbox,
            cls_scores=outputs_to_rows(cls_scores, self.cls_out_channels),
            labels=labels,
            pos_bbox_preds=pos_bbox_preds,
            pos_bbox_targets=get_box_tensor(targets_to_rows(bbox_targets_list)[positive]),
            valid=targets_to_rows(label_weights_list) > 0)
        return dict(loss_rpn_cls=loss_cls, loss_rpn_bbox=loss_bbox)

