"""ATSS trained with a ranking loss: RS-, BRS-, AP- and BAP-ATSS (thesis Sec. 4.3, Table 4.1)."""
from typing import Dict, List, Optional

from torch import Tensor

from mmdet.models.dense_heads import ATSSHead
from mmdet.registry import MODELS
from mmdet.utils import InstanceList, OptInstanceList

from .flatten_levels import outputs_to_rows, targets_to_rows
from .rank_based_dense_head import RankBasedDenseHeadMixin
from .without_quality_branch import WithoutQualityBranchMixin


@MODELS.register_module()
class BRSATSSHead(RankBasedDenseHeadMixin, WithoutQualityBranchMixin, ATSSHead):
    """ATSSHead whose loss ranks every anchor of the batch (no centerness branch), with mmdet's
    ATSS assignment and inference. Options: :class:`RankBasedDenseHeadMixin`."""

    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     centernesses: Optional[List[Tensor]],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> Dict[str, Tensor]:
        """ATSS assignment of all anchors, then the shared ranking-loss step."""
        featmap_sizes = [score.shape[-2:] for score in cls_scores]
        anchor_list, valid_flag_list = self.get_anchors(
            featmap_sizes, batch_img_metas, device=cls_scores[0].device)
        anchors, labels, label_weights, bbox_targets, _, _ = self.get_targets(
            anchor_list, valid_flag_list, batch_gt_instances, batch_img_metas,
            batch_gt_instances_ignore)
        return self.rank_based_dense_losses(
            outputs_to_rows(cls_scores, self.cls_out_channels), outputs_to_rows(bbox_preds, 4),
            targets_to_rows(anchors), targets_to_rows(labels), targets_to_rows(label_weights),
            targets_to_rows(bbox_targets))
