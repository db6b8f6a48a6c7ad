"""PAA trained with a ranking loss: RS-, BRS-, AP- and BAP-PAA (thesis Sec. 4.1, 4.3, Table 4.1)."""
import importlib.util
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.dense_heads import PAAHead
from mmdet.models.layers import multiclass_nms
from mmdet.models.utils import levels_to_images, multi_apply
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptInstanceList

from .rank_based_dense_head import RankBasedDenseHeadMixin
from .without_quality_branch import WithoutQualityBranchMixin


@MODELS.register_module()
class BRSPAAHead(RankBasedDenseHeadMixin, WithoutQualityBranchMixin, PAAHead):
    """PAAHead whose loss ranks every anchor of the batch, without the IoU-prediction branch.

    PAA's probabilistic assignment stays mmdet's: each candidate positive is scored by a
    score-based loss (``loss_gmm_cls`` + ``loss_bbox``, Focal + GIoU as in mmdet's PAA), a GMM
    splits the scores into positives and negatives (thesis Sec. 4.1: "we maintain the scoring
    function while splitting positives and negatives"); only the training loss is the ranking
    loss. Inference is PAA's NMS and score voting on the class scores alone.

    Args:
        loss_gmm_cls (dict): the per-anchor classification loss of the assignment score.
        Other arguments: :class:`RankBasedDenseHeadMixin` and ``PAAHead``.
    """

    def __init__(self,
                 *args,
                 loss_gmm_cls: ConfigType = dict(
                     type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
                 **kwargs) -> None:
        if importlib.util.find_spec('sklearn') is None:
            raise ImportError(f'{type(self).__name__}: PAA\'s GMM assignment needs scikit-learn '
                              '(pip install scikit-learn)')
        super().__init__(*args, **kwargs)
        self.loss_gmm_cls = MODELS.build(loss_gmm_cls)

    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     iou_preds: Optional[List[Tensor]],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> Dict[str, Tensor]:
        """PAA's candidate positives, their GMM reassignment, then the shared ranking-loss step."""
        featmap_sizes = [score.shape[-2:] for score in cls_scores]
        anchor_list, valid_flag_list = self.get_anchors(
            featmap_sizes, batch_img_metas, device=cls_scores[0].device)
        labels, label_weights, bbox_targets, bbox_weights, pos_inds, pos_gt_inds = \
            self.get_targets(anchor_list, valid_flag_list, batch_gt_instances, batch_img_metas,
                             batch_gt_instances_ignore=batch_gt_instances_ignore)
        cls_scores = [s.reshape(-1, self.cls_out_channels) for s in levels_to_images(cls_scores)]
        bbox_preds = [b.reshape(-1, 4) for b in levels_to_images(bbox_preds)]
        pos_losses, = multi_apply(self.get_pos_loss, anchor_list, cls_scores, bbox_preds, labels,
                                  label_weights, bbox_targets, bbox_weights, pos_inds)
        with torch.no_grad():
            labels, label_weights, _, _ = multi_apply(
                self.paa_reassign, pos_losses, labels, label_weights, bbox_weights, pos_inds,
                pos_gt_inds, anchor_list)
        return self.rank_based_dense_losses(
            torch.cat(cls_scores), torch.cat(bbox_preds),
            torch.cat([torch.cat(anchors) for anchors in anchor_list]), torch.cat(labels),
            torch.cat(label_weights), torch.cat(bbox_targets))

    def get_pos_loss(self, anchors: List[Tensor], cls_score: Tensor, bbox_pred: Tensor,
                     label: Tensor, label_weight: Tensor, bbox_target: Tensor,
                     bbox_weight: Tensor, pos_inds: Tensor) -> Tuple[Tensor]:
        """PAA's assignment score of each candidate positive of one image: ``loss_gmm_cls`` (the
        ranking loss has no per-anchor value) plus ``loss_bbox`` of its decoded box."""
        if not len(pos_inds):
            return cls_score.new([]),
        pos_boxes = self.bbox_coder.decode(torch.cat(anchors)[pos_inds], bbox_pred[pos_inds])
        loss_cls = self.loss_gmm_cls(cls_score[pos_inds], label[pos_inds], label_weight[pos_inds],
                                     avg_factor=1.0, reduction_override='none')
        loss_bbox = self.loss_bbox(pos_boxes, bbox_target[pos_inds], bbox_weight[pos_inds],
                                   avg_factor=1.0, reduction_override='none')
        return loss_cls.sum(-1) + loss_bbox,

    def _predict_by_feat_single(self,
                                cls_score_list: List[Tensor],
                                bbox_pred_list: List[Tensor],
                                score_factor_list: List[Optional[Tensor]],
                                mlvl_priors: List[Tensor],
                                img_meta: dict,
                                cfg: OptConfigType = None,
                                rescale: bool = False,
                                with_nms: bool = True,
                                **kwargs) -> InstanceData:
        """Decode the ``nms_pre`` best anchors of each level by class score (no IoU factor)."""
        cfg = self.test_cfg if cfg is None else cfg
        nms_pre = cfg.get('nms_pre', -1)
        mlvl_bboxes, mlvl_scores = [], []
        for cls_score, bbox_pred, priors in zip(cls_score_list, bbox_pred_list, mlvl_priors):
            scores = cls_score.permute(1, 2, 0).reshape(-1, self.cls_out_channels).sigmoid()
            bbox_pred = bbox_pred.permute(1, 2, 0).reshape(-1, 4)
            if 0 < nms_pre < scores.shape[0]:
                _, topk_inds = scores.max(dim=1)[0].topk(nms_pre)
                priors, bbox_pred, scores = priors[topk_inds], bbox_pred[topk_inds], \
                    scores[topk_inds]
            mlvl_bboxes.append(
                self.bbox_coder.decode(priors, bbox_pred, max_shape=img_meta['img_shape']))
            mlvl_scores.append(scores)
        results = InstanceData(bboxes=torch.cat(mlvl_bboxes), scores=torch.cat(mlvl_scores))
        return self._bbox_post_process(results, cfg, rescale, with_nms, img_meta)

    def _bbox_post_process(self,
                           results: InstanceData,
                           cfg: ConfigType,
                           rescale: bool = False,
                           with_nms: bool = True,
                           img_meta: Optional[dict] = None,
                           **kwargs) -> InstanceData:
        """PAA's NMS and score voting on the class scores themselves (mmdet's PAA uses
        sqrt(score x predicted IoU), which this head does not predict)."""
        if rescale:
            results.bboxes /= results.bboxes.new_tensor(img_meta['scale_factor']).repeat((1, 2))
        scores = torch.cat([results.scores, results.scores.new_zeros(len(results.scores), 1)], 1)
        det_bboxes, det_labels = multiclass_nms(results.bboxes, scores, cfg.score_thr, cfg.nms,
                                                cfg.max_per_img)
        if self.with_score_voting and len(det_bboxes) > 0:
            det_bboxes, det_labels = self.score_voting(det_bboxes, det_labels, results.bboxes,
                                                       scores, cfg.score_thr)
        return InstanceData(bboxes=det_bboxes[:, :-1], scores=det_bboxes[:, -1],
                            labels=det_labels)
