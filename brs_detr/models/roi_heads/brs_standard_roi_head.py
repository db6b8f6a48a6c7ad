"""RoI head of RS / BRS Mask R-CNN: the mask loss follows the box head's scores and ranking loss."""
import copy
from typing import List, Optional, Tuple

import torch
from torch import Tensor

from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import InstanceList

from ..losses import max_score_weights
from .brs_mask_head import BRSFCNMaskHead

# Per-image fields of a SamplingResult that list the positives.
_POSITIVE_FIELDS = ('pos_inds', 'pos_priors', 'pos_is_gt', 'pos_assigned_gt_inds', 'pos_gt_labels',
                    'pos_gt_bboxes')


def positives_subset(sampling_results: List[SamplingResult],
                     keep: Tensor) -> List[SamplingResult]:
    """Copies of ``sampling_results`` holding only the positives whose batch-wide index (images
    in order, positives in order within each) is in the sorted ``keep``."""
    subsets, start = [], 0
    for res in sampling_results:
        num_pos = res.pos_priors.shape[0]
        local = keep[(keep >= start) & (keep < start + num_pos)] - start
        subset = copy.copy(res)
        for field in _POSITIVE_FIELDS:
            setattr(subset, field, getattr(res, field)[local])
        subsets.append(subset)
        start += num_pos
    return subsets


@MODELS.register_module()
class BRSStandardRoIHead(StandardRoIHead):
    """StandardRoIHead of RS / BRS Mask R-CNN (thesis Sec. 4.5).

    The box head (:class:`BRSShared2FCBBoxHead`) ranks all proposals; the mask head
    (:class:`BRSFCNMaskHead`) weights each positive's mask loss by that positive's detached max
    class score and self-balances it to the box head's ranking loss. Like the authors' code, at
    most ``max_mask_positives`` positives of the batch, drawn at random, train the mask head.

    Args:
        max_mask_positives (int, optional): cap on the positives the mask head sees per batch
            (200 in the authors' code; None: all).
        Other arguments: see ``StandardRoIHead``.
    """

    def __init__(self, *args, max_mask_positives: Optional[int] = 200, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.with_mask and not isinstance(self.mask_head, BRSFCNMaskHead):
            raise TypeError(f'{type(self).__name__}: mask_head must be a BRSFCNMaskHead, got '
                            f'{type(self.mask_head).__name__}')
        if max_mask_positives is not None and max_mask_positives < 1:
            raise ValueError(f'{type(self).__name__}: max_mask_positives must be >= 1 or None, '
                             f'got {max_mask_positives}')
        self.max_mask_positives = max_mask_positives

    def loss(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
             batch_data_samples: SampleList) -> dict:
        """Box losses, then the mask loss weighted and balanced by the box head's outputs."""
        batch_gt_instances, batch_gt_instances_ignore, _ = unpack_gt_instances(batch_data_samples)
        sampling_results = []
        for i, rpn_results in enumerate(rpn_results_list):
            rpn_results.priors = rpn_results.pop('bboxes')
            assign_result = self.bbox_assigner.assign(rpn_results, batch_gt_instances[i],
                                                      batch_gt_instances_ignore[i])
            sampling_results.append(self.bbox_sampler.sample(
                assign_result, rpn_results, batch_gt_instances[i],
                feats=[lvl_feat[i][None] for lvl_feat in x]))

        bbox_results = self.bbox_loss(x, sampling_results)
        losses = dict(bbox_results['loss_bbox'])
        if self.with_mask:
            mask_results = self.balanced_mask_loss(x, sampling_results, bbox_results,
                                                   batch_gt_instances)
            losses.update(mask_results['loss_mask'])
        return losses

    def balanced_mask_loss(self, x: Tuple[Tensor], sampling_results: List[SamplingResult],
                           bbox_results: dict, batch_gt_instances: InstanceList) -> dict:
        """The mask head's loss on (at most ``max_mask_positives``) positive RoIs."""
        # the RoIs are each image's positives, then its negatives, images in order
        is_positive = torch.cat([
            torch.arange(len(res.priors), device=res.priors.device) < len(res.pos_priors)
            for res in sampling_results])
        pos_rows = is_positive.nonzero(as_tuple=True)[0]
        keep = torch.arange(pos_rows.numel(), device=pos_rows.device)
        if self.max_mask_positives is not None and pos_rows.numel() > self.max_mask_positives:
            keep = torch.randperm(pos_rows.numel(), device=pos_rows.device)
            keep = keep[:self.max_mask_positives].sort().values
            sampling_results = positives_subset(sampling_results, keep)
        if self.share_roi_extractor:
            mask_results = self._mask_forward(x, pos_inds=pos_rows[keep],
                                              bbox_feats=bbox_results['bbox_feats'])
        else:
            mask_results = self._mask_forward(
                x, bbox2roi([res.pos_priors for res in sampling_results]))
        mask_loss_and_target = self.mask_head.loss_and_target(
            mask_preds=mask_results['mask_preds'],
            sampling_results=sampling_results,
            batch_gt_instances=batch_gt_instances,
            rcnn_train_cfg=self.train_cfg,
            pos_weights=max_score_weights(bbox_results['cls_score'][pos_rows[keep]]),
            reference_loss=bbox_results['loss_bbox']['loss_cls'])
        mask_results.update(loss_mask=mask_loss_and_target['loss_mask'])
        return mask_results
