"""Mask head of RS-Mask R-CNN: a score-weighted Dice loss self-balanced to the RoI ranking loss."""
import torch
from torch import Tensor

from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, InstanceList

from ..losses import self_balance


@MODELS.register_module()
class BRSFCNMaskHead(FCNMaskHead):
    """FCNMaskHead whose loss is a Dice loss per positive RoI, weighted by the detached max class
    score of that RoI in the box head, normalised by the weights' sum and self-balanced to the
    RoI ranking loss (lambda_mask = L_BRS / L_mask, Eq. 3.56), as the authors' RS / BRS Mask R-CNN.

    ``loss_mask`` must take ``(pred, target, weight, avg_factor)`` per RoI (not a ``use_mask``
    cross-entropy): the authors' loss, ``1 - 2 sum(p t) / (sum(p^2) + sum(t^2) + 1e-5)`` on sigmoid
    masks, is mmdet's ``DiceLoss(use_sigmoid=True, activate=True, naive_dice=False, eps=5e-6)``.
    Used by :class:`BRSStandardRoIHead`, which passes the weights and the ranking loss.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if getattr(self.loss_mask, 'use_mask', False):
            raise ValueError(f'{type(self).__name__}: loss_mask must be a per-RoI mask loss that '
                             'takes weights (e.g. DiceLoss), got a use_mask CrossEntropyLoss')

    def loss_and_target(self, mask_preds: Tensor, sampling_results: list[SamplingResult],
                        batch_gt_instances: InstanceList, rcnn_train_cfg: ConfigType,
                        pos_weights: Tensor, reference_loss: Tensor) -> dict:
        """Mask targets and the balanced mask loss of the positives.

        Args:
            mask_preds (Tensor): (P, C or 1, H, W) mask logits of the positive RoIs.
            pos_weights (Tensor): (P,) detached max class score of each positive RoI.
            reference_loss (Tensor): the RoI head's ranking loss, which the mask loss takes the
                value of (gradients scaled by the ratio of the two).
            Other arguments: see ``FCNMaskHead.loss_and_target``.
        """
        mask_targets = self.get_targets(sampling_results, batch_gt_instances, rcnn_train_cfg)
        if mask_preds.size(0) == 0:
            # keep the mask branch in the graph (DDP) with a zero loss
            return dict(loss_mask=dict(loss_mask=mask_preds.sum()), mask_targets=mask_targets)
        labels = torch.cat([res.pos_gt_labels for res in sampling_results])
        channels = torch.zeros_like(labels) if self.class_agnostic else labels
        pos_mask_preds = mask_preds[torch.arange(labels.numel(), device=labels.device), channels]
        loss_mask = self.loss_mask(pos_mask_preds, mask_targets, weight=pos_weights,
                                   avg_factor=pos_weights.sum())
        return dict(loss_mask=dict(loss_mask=self_balance(loss_mask, reference_loss)),
                    mask_targets=mask_targets)
