"""RPN trained with a ranking loss over all anchors (RS-R-CNN; BRS-DETR's Faster R-CNN aux head)."""
from typing import List

import torch
from torch import Tensor

from mmdet.models.dense_heads import RPNHead
from mmdet.models.task_modules.coders import DeltaXYWHBBoxCoder
from mmdet.registry import MODELS
from mmdet.structures.bbox import cat_boxes, get_box_tensor
from mmdet.utils import InstanceList, OptInstanceList

from ..losses import rank_based_head_losses
from .flatten_levels import outputs_to_rows, targets_to_rows
from .rank_based_dense_head import RankBasedDenseHeadMixin

LOSS_BOX_SPACES = ('image', 'unit_anchor')
# The authors' RPN decodes its loss boxes at these stds around a unit box at the origin.
UNIT_ANCHOR_STDS = (0.1, 0.1, 0.2, 0.2)


@MODELS.register_module()
class BRSRPNHead(RankBasedDenseHeadMixin, RPNHead):
    """RPNHead whose loss is a ranking loss (BRS) over every anchor of the batch, without sampling,
    plus a self-balanced box loss on decoded boxes (thesis Sec. 3.5 and 4.1).

    Configure ``loss_cls`` as a :class:`RankingLoss`, ``loss_bbox`` as a box loss on decoded boxes
    (GIoULoss), ``reg_decoded_bbox=True`` and a ``PseudoSampler`` in ``train_cfg``.

    Args:
        loss_box_space (str): the boxes whose IoUs are the ranking targets and whose GIoU is the box
            loss. ``'image'`` (the thesis' intent): the predicted deltas decoded on their anchors
            with ``bbox_coder``, against the ground-truth boxes, in pixels. ``'unit_anchor'`` (the
            authors' released ``RankBasedRPNHead``): the predicted deltas and the ground truth's
            deltas (encoded by ``bbox_coder``, stds 1.0 in the configs) both decoded without
            anchors, i.e. around a unit box at the origin, at stds ``UNIT_ANCHOR_STDS``
            (0.1, 0.1, 0.2, 0.2). Proposals are decoded on anchors either way.
        zero_iou_negative, max_score_box_weights (bool): see :class:`RankBasedDenseHeadMixin`.
        Other arguments: see ``RPNHead``.
    """

    def __init__(self, *args, loss_box_space: str = 'image', **kwargs) -> None:
        if loss_box_space not in LOSS_BOX_SPACES:
            raise ValueError(f'{type(self).__name__}: loss_box_space={loss_box_space!r}, '
                             f'expected one of {LOSS_BOX_SPACES}')
        super().__init__(*args, **kwargs)
        self.loss_box_space = loss_box_space
        self.unit_anchor_coder = DeltaXYWHBBoxCoder(target_stds=UNIT_ANCHOR_STDS,
                                                    clip_border=False)

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
        pos_bbox_preds, pos_bbox_targets = self.loss_boxes(
            anchors[positive], deltas[positive],
            get_box_tensor(targets_to_rows(bbox_targets_list)[positive]))
        loss_cls, loss_bbox = rank_based_head_losses(
            self.loss_cls, self.loss_bbox,
            cls_scores=outputs_to_rows(cls_scores, self.cls_out_channels),
            labels=labels,
            pos_bbox_preds=pos_bbox_preds,
            pos_bbox_targets=pos_bbox_targets,
            valid=targets_to_rows(label_weights_list) > 0,
            zero_iou_negative=self.zero_iou_negative,
            max_score_box_weights=self.max_score_box_weights)
        return dict(loss_rpn_cls=loss_cls, loss_rpn_bbox=loss_bbox)

    def loss_boxes(self, pos_anchors: Tensor, pos_deltas: Tensor,
                   pos_gt_bboxes: Tensor) -> tuple:
        """(predicted, target) boxes of the positives in ``loss_box_space``, (P, 4) each."""
        if self.loss_box_space == 'image':
            return get_box_tensor(self.bbox_coder.decode(pos_anchors, pos_deltas)), pos_gt_bboxes
        unit_anchors = pos_anchors.new_tensor([-0.5, -0.5, 0.5, 0.5]).expand_as(pos_anchors)
        gt_deltas = self.bbox_coder.encode(pos_anchors, pos_gt_bboxes)
        return (self.unit_anchor_coder.decode(unit_anchors, pos_deltas),
                self.unit_anchor_coder.decode(unit_anchors, gt_deltas))
