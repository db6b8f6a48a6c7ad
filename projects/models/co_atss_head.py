"""ATSS as a Co-DETR auxiliary head (Sec. 3.5): its loss (last term of Eq. 3.54) and its
positive anchors, handed to the query head as extra positive queries.

The three steps are separate methods so a variant changes one: :meth:`CoATSSHead.build_targets`
(ATSS assignment), :meth:`CoATSSHead.loss_from_targets` (all levels and images at once) and
:meth:`CoATSSHead.export_positives`. ``loss_centerness=None`` drops the centerness branch
(as RS/BRS-ATSS do).
"""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmdet.models.dense_heads import ATSSHead
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import InstanceList, OptInstanceList, reduce_mean

from .aux_positives import AuxPositives


def atss_forward_without_centerness(head: ATSSHead, x: Tensor, scale) -> Tuple[Tensor, Tensor]:
    """(cls_score, bbox_pred) of one level: ``ATSSHead.forward_single`` without its centerness
    conv, for the heads that drop that branch (CoATSSHead without ``loss_centerness``, and the
    ranking-loss ATSS / PAA heads)."""
    cls_feat, reg_feat = x, x
    for cls_conv, reg_conv in zip(head.cls_convs, head.reg_convs):
        cls_feat, reg_feat = cls_conv(cls_feat), reg_conv(reg_feat)
    return head.atss_cls(cls_feat), scale(head.atss_reg(reg_feat)).float()


class AtssTargets(NamedTuple):
    """ATSS assignment of every anchor of the batch (levels concatenated per image)."""

    anchors: Tensor  # (bs, A, 4) pixels
    labels: Tensor  # (bs, A), num_classes = negative
    label_weights: Tensor  # (bs, A)
    bbox_targets: Tensor  # (bs, A, 4) assigned gt boxes in pixels, zeros for negatives
    avg_factor: float  # number of positives (mean over GPUs), at least 1


@MODELS.register_module()
class CoATSSHead(ATSSHead):
    """ATSS head whose assignment, loss and export of positives are separate steps.

    Args:
        loss_centerness (dict | None): centerness loss; ``None`` builds no centerness branch
            and weights every positive's box loss equally.
        Other arguments: see ``ATSSHead``. ``reg_decoded_bbox`` must stay ``True``: targets
        are the assigned boxes themselves, as the query head needs them.
    """

    def __init__(self,
                 *args,
                 loss_centerness: Optional[dict] = dict(
                     type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                 **kwargs) -> None:
        self.with_centerness = loss_centerness is not None
        super().__init__(
            *args,
            loss_centerness=loss_centerness or dict(type='CrossEntropyLoss', use_sigmoid=True),
            **kwargs)
        if not self.with_centerness:
            self.loss_centerness = None
        if not self.reg_decoded_bbox:
            raise ValueError('CoATSSHead needs reg_decoded_bbox=True (pixel-box targets)')

    def _init_layers(self) -> None:
        super()._init_layers()
        if not self.with_centerness:
            del self.atss_centerness

    def forward(self, x: Tuple[Tensor]) -> Tuple:
        """(cls_scores, bbox_preds, centernesses) per level; centernesses is ``None`` when the
        head has no centerness branch (mmdet's loss/predict steps then skip it)."""
        outs = super().forward(x)
        return outs if self.with_centerness else (*outs, None)

    def forward_single(self, x: Tensor, scale) -> Sequence[Tensor]:
        """(cls_score, bbox_pred[, centerness]) of one level."""
        if self.with_centerness:
            return super().forward_single(x, scale)
        return atss_forward_without_centerness(self, x, scale)

    def loss(self, x: Tuple[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        return self.loss_and_positives(x, batch_data_samples)[0]

    def loss_and_positives(self, x: Tuple[Tensor],
                           batch_data_samples: SampleList) -> Tuple[Dict, AuxPositives]:
        """Losses and the positive anchors for the query head's aux queries."""
        cls_scores, bbox_preds, centernesses = self(x)
        batch_gt_instances, batch_gt_instances_ignore, batch_img_metas = \
            unpack_gt_instances(batch_data_samples)
        targets = self.build_targets(cls_scores, batch_gt_instances, batch_img_metas,
                                     batch_gt_instances_ignore)
        losses = self._loss_from_levels(cls_scores, bbox_preds, centernesses, targets)
        return losses, self.export_positives(targets)

    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     centernesses: Optional[List[Tensor]],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> Dict[str, Tensor]:
        """mmdet's entry point: :meth:`build_targets` then :meth:`loss_from_targets`."""
        targets = self.build_targets(cls_scores, batch_gt_instances, batch_img_metas,
                                     batch_gt_instances_ignore)
        return self._loss_from_levels(cls_scores, bbox_preds, centernesses, targets)

    def _loss_from_levels(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                          centernesses: Optional[List[Tensor]],
                          targets: AtssTargets) -> Dict[str, Tensor]:
        return self.loss_from_targets(
            _flatten_levels(cls_scores, self.cls_out_channels), _flatten_levels(bbox_preds, 4),
            None if centernesses is None else _flatten_levels(centernesses, 1)[..., 0], targets)

    def build_targets(self, cls_scores: List[Tensor], batch_gt_instances: InstanceList,
                      batch_img_metas: List[dict],
                      batch_gt_instances_ignore: OptInstanceList = None) -> AtssTargets:
        """ATSS assignment of the anchors of every level and image."""
        featmap_sizes = [score.shape[-2:] for score in cls_scores]
        anchor_list, valid_flag_list = self.get_anchors(
            featmap_sizes, batch_img_metas, device=cls_scores[0].device)
        anchors, labels, label_weights, bbox_targets, _, avg_factor = self.get_targets(
            anchor_list, valid_flag_list, batch_gt_instances, batch_img_metas,
            batch_gt_instances_ignore)
        avg_factor = reduce_mean(cls_scores[0].new_tensor(float(avg_factor))).item()
        return AtssTargets(torch.cat(anchors, 1), torch.cat(labels, 1),
                           torch.cat(label_weights, 1), torch.cat(bbox_targets, 1),
                           max(avg_factor, 1.0))

    def loss_from_targets(self, cls_scores: Tensor, bbox_preds: Tensor,
                          centernesses: Optional[Tensor],
                          targets: AtssTargets) -> Dict[str, Tensor]:
        """Classification, GIoU (centerness-weighted when there is centerness) and centerness
        losses over all anchors of the batch.

        Args:
            cls_scores: (bs, A, C) logits; bbox_preds: (bs, A, 4) deltas;
            centernesses: (bs, A) logits or ``None``; targets: from :meth:`build_targets`.
        """
        labels = targets.labels.reshape(-1)
        loss_cls = self.loss_cls(cls_scores.reshape(-1, self.cls_out_channels), labels,
                                 targets.label_weights.reshape(-1),
                                 avg_factor=targets.avg_factor)
        pos = torch.nonzero((labels >= 0) & (labels < self.num_classes)).squeeze(1)
        losses = dict(loss_cls=loss_cls)
        if pos.numel() == 0:
            losses['loss_bbox'] = bbox_preds.sum() * 0
            if centernesses is not None:
                losses['loss_centerness'] = centernesses.sum() * 0
            return losses
        pos_anchors = targets.anchors.reshape(-1, 4)[pos]
        pos_targets = targets.bbox_targets.reshape(-1, 4)[pos]
        pos_boxes = self.bbox_coder.decode(pos_anchors, bbox_preds.reshape(-1, 4)[pos])
        if centernesses is None:
            losses['loss_bbox'] = self.loss_bbox(pos_boxes, pos_targets,
                                                 avg_factor=targets.avg_factor)
            return losses
        centerness_targets = self.centerness_target(pos_anchors, pos_targets)
        centerness_sum = reduce_mean(centerness_targets.sum().detach()).clamp(min=1).item()
        losses['loss_bbox'] = self.loss_bbox(pos_boxes, pos_targets, weight=centerness_targets,
                                             avg_factor=centerness_sum)
        losses['loss_centerness'] = self.loss_centerness(
            centernesses.reshape(-1)[pos], centerness_targets, avg_factor=targets.avg_factor)
        return losses

    def export_positives(self, targets: AtssTargets) -> AuxPositives:
        """Every anchor with its assignment; the query head picks positives and pads."""
        return AuxPositives(priors=list(targets.anchors), labels=list(targets.labels),
                            targets=list(targets.bbox_targets), feats=None)


def _flatten_levels(mlvl: List[Tensor], channels: int) -> Tensor:
    """(bs, A*channels, h, w) per level -> (bs, sum(h*w*A), channels), in mmdet's prior order."""
    return torch.cat([level.permute(0, 2, 3, 1).reshape(level.size(0), -1, channels)
                      for level in mlvl], 1)
