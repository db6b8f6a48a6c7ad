"""RetinaNet trained with a ranking loss: BRS-RetinaNet (thesis Sec. 4.6, Table 4.7)."""
from typing import Dict, List

import torch
from torch import Tensor

from mmdet.models.dense_heads import RetinaHead
from mmdet.registry import MODELS
from mmdet.structures.bbox import cat_boxes, get_box_tensor
from mmdet.utils import InstanceList, OptInstanceList

from .flatten_levels import outputs_to_rows, targets_to_rows
from .rank_based_dense_head import RankBasedDenseHeadMixin


@MODELS.register_module()
class BRSRetinaHead(RankBasedDenseHeadMixin, RetinaHead):
    """RetinaHead whose loss ranks every anchor of the batch (max-IoU assignment, no sampling),
    with mmdet's inference. Options: :class:`RankBasedDenseHeadMixin`."""

    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> Dict[str, Tensor]:
        """Max-IoU assignment of all anchors, then the shared ranking-loss step."""
        featmap_sizes = [score.shape[-2:] for score in cls_scores]
        anchor_list, valid_flag_list = self.get_anchors(
            featmap_sizes, batch_img_metas, device=cls_scores[0].device)
        labels, label_weights, bbox_targets, _, _ = self.get_targets(
            anchor_list, valid_flag_list, batch_gt_instances, batch_img_metas,
            batch_gt_instances_ignore=batch_gt_instances_ignore)
        anchors = torch.cat([get_box_tensor(cat_boxes(anchors)) for anchors in anchor_list])
        return self.rank_based_dense_losses(
            outputs_to_rows(cls_scores, self.cls_out_channels),
            outputs_to_rows(bbox_preds, self.bbox_coder.encode_size), anchors,
            targets_to_rows(labels), targets_to_rows(label_weights),
            get_box_tensor(targets_to_rows(bbox_targets)))
