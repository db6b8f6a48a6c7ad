"""Faster R-CNN's RoI head as a Co-DETR auxiliary head (Sec. 3.5).

Steps kept apart: :meth:`CoStandardRoIHead.assign_and_sample`, the loss step (mmdet's
``bbox_loss``, overridable) and :meth:`CoStandardRoIHead.export_positives`, which reads only the
sampling results and the RoI features, so it works with any sampler (``PseudoSampler`` = all
proposals, as BRS-DETR trains without sampling).
"""
from typing import Dict, List, Tuple

from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import InstanceList

from .aux_positives import AuxPositives


@MODELS.register_module()
class CoStandardRoIHead(StandardRoIHead):
    """Standard bbox RoI head that also hands its sampled proposals to the query head."""

    def loss(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        return self.loss_and_positives(x, rpn_results_list, batch_data_samples)[0]

    def loss_and_positives(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
                           batch_data_samples: SampleList) -> Tuple[Dict, AuxPositives]:
        """Bbox losses and the sampled proposals (with their targets and mean RoI features)."""
        if self.with_mask:
            raise ValueError('CoStandardRoIHead is a box-only aux head; remove mask_head')
        sampling_results = self.assign_and_sample(x, rpn_results_list, batch_data_samples)
        bbox_results = self.bbox_loss(x, sampling_results)
        return bbox_results['loss_bbox'], self.export_positives(sampling_results,
                                                                bbox_results['bbox_feats'])

    def _bbox_forward(self, x: Tuple[Tensor], rois: Tensor) -> dict:
        """mmdet's, on contiguous maps: mmcv's RoIAlign hands its input's raw buffer
        (``data_ptr``) to the kernel, so a strided view would be pooled from the wrong memory."""
        return super()._bbox_forward(tuple(level.contiguous() for level in x), rois)

    def assign_and_sample(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
                          batch_data_samples: SampleList) -> List[SamplingResult]:
        """Assign every proposal to a ground truth and sample the training RoIs."""
        if len(rpn_results_list) != len(batch_data_samples):
            raise ValueError(f'{len(rpn_results_list)} proposal sets for '
                             f'{len(batch_data_samples)} images')
        batch_gt_instances, batch_gt_instances_ignore, _ = unpack_gt_instances(
            batch_data_samples)
        sampling_results = []
        for i, proposals in enumerate(rpn_results_list):
            priors = InstanceData(priors=proposals.bboxes)
            assign_result = self.bbox_assigner.assign(priors, batch_gt_instances[i],
                                                      batch_gt_instances_ignore[i])
            sampling_results.append(self.bbox_sampler.sample(
                assign_result, priors, batch_gt_instances[i],
                feats=[lvl_feat[i][None] for lvl_feat in x]))
        return sampling_results

    def export_positives(self, sampling_results: List[SamplingResult],
                         bbox_feats: Tensor) -> AuxPositives:
        """All sampled RoIs (positives first) with class, gt box and mean RoI feature.

        Args:
            bbox_feats: (num_rois, dims, s, s) RoI features, rows in ``sampling_results``
                order (as ``bbox_loss`` extracts them).
        """
        feats = bbox_feats.mean((-2, -1)).split([len(res.priors) for res in sampling_results])
        labels, targets = [], []
        for res in sampling_results:
            label = res.priors.new_full((len(res.priors), ), self.bbox_head.num_classes,
                                        dtype=res.pos_gt_labels.dtype)
            num_pos = len(res.pos_gt_labels)  # res.num_pos is clamped to >= 1
            label[:num_pos] = res.pos_gt_labels
            target = res.priors.new_zeros(len(res.priors), 4)
            target[:num_pos] = res.pos_gt_bboxes
            labels.append(label)
            targets.append(target)
        return AuxPositives(priors=[res.priors for res in sampling_results], labels=labels,
                            targets=targets, feats=list(feats))
