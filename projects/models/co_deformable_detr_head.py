"""Co-DETR's query head: two-stage Deformable-DETR head plus the aux positive queries (Sec. 3.5).

Every loss of this head -- each decoder layer's one-to-one loss, the encoder proposals' loss and
each aux head's one-to-many aux-query loss (the first two terms of Eq. 3.54, each of the form of
Eq. 3.55) -- is computed by ONE method, :meth:`CoDeformDETRHead.loss_from_targets`, from
predictions and already-built targets. A head with another classification loss (BRS-DETR's
Eq. 3.56) overrides that method only; matching and target building stay here.
"""
import copy
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmdet.models.dense_heads import DeformableDETRHead
from mmdet.models.layers import SinePositionalEncoding, inverse_sigmoid
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmdet.utils import InstanceList, OptInstanceList, reduce_mean

from .aux_positives import AuxPositives

# The official release never builds fewer aux queries per image than this, even without positives.
MIN_AUX_QUERIES = 9


class AuxQueries(NamedTuple):
    """Batched extra positive queries of one aux head and their one-to-many targets.

    ``coords``/``targets`` are normalised (cx, cy, w, h); ``labels`` use ``num_classes`` for
    the negatives that pad every image to the same number of queries.
    """

    coords: Tensor  # (bs, n, 4)
    feats: Tensor  # (bs, n, dims)
    labels: Tensor  # (bs, n)
    label_weights: Tensor  # (bs, n)
    targets: Tensor  # (bs, n, 4)
    bbox_weights: Tensor  # (bs, n, 4)


@MODELS.register_module()
class CoDeformDETRHead(DeformableDETRHead):
    """Two-stage Deformable-DETR head (box refinement, mixed query selection, look forward
    twice) that owns its transformer and decodes the aux heads' positive queries.

    Args:
        num_query (int): one-to-one queries (300 in the released configs).
        transformer (dict): :class:`CoDeformableDetrTransformer` arguments.
        positional_encoding (dict): ``SinePositionalEncoding`` arguments.
        with_box_refine (bool): each decoder layer refines the previous layer's boxes.
        as_two_stage (bool): reference boxes from the top-scoring encoder proposals.
        mixed_selection (bool): learnt content queries, proposal-derived positions.
        look_forward_twice (bool): a layer's box loss also trains the previous layer's
            refinement (H-DETR/DINO); needs ``with_box_refine``.
        max_pos_coords (int): at most this many aux positive queries per image.
        lambda_1 (float): weight of the aux-query losses (lambda_1 in Eq. 3.54).
        Other arguments: see ``DETRHead`` (``num_classes``, ``embed_dims``, losses, train_cfg
        with the Hungarian ``assigner``, test_cfg with ``max_per_img``).
    """

    def __init__(self,
                 *args,
                 num_query: int = 300,
                 transformer: dict,
                 positional_encoding: dict,
                 with_box_refine: bool = True,
                 as_two_stage: bool = True,
                 mixed_selection: bool = True,
                 look_forward_twice: bool = True,
                 max_pos_coords: int = 300,
                 lambda_1: float = 1.0,
                 **kwargs) -> None:
        if look_forward_twice and not with_box_refine:
            raise ValueError('look_forward_twice needs with_box_refine=True')
        if mixed_selection and not as_two_stage:
            raise ValueError('mixed_selection needs as_two_stage=True')
        self.num_query = num_query
        self.with_box_refine = with_box_refine
        self.mixed_selection = mixed_selection
        self.look_forward_twice = look_forward_twice
        self.max_pos_coords = max_pos_coords
        self.lambda_1 = lambda_1
        self._transformer_cfg = dict(transformer, as_two_stage=as_two_stage,
                                     mixed_selection=mixed_selection)
        self._positional_encoding_cfg = positional_encoding
        num_dec_layers = transformer['decoder']['num_layers']
        super().__init__(
            *args,
            share_pred_layer=not with_box_refine,
            num_pred_layer=num_dec_layers + 1 if as_two_stage else num_dec_layers,
            as_two_stage=as_two_stage,
            **kwargs)

    def _init_layers(self) -> None:
        """Prediction branches (mmdet's), transformer, positional encoding, extra level."""
        super()._init_layers()
        cfg = dict(self._transformer_cfg)
        cfg.setdefault('type', 'CoDeformableDetrTransformer')
        self.transformer = MODELS.build(cfg)
        if self.transformer.embed_dims != self.embed_dims:
            raise ValueError(f'head embed_dims={self.embed_dims} but transformer layers have '
                             f'embed_dims={self.transformer.embed_dims}')
        self.positional_encoding = SinePositionalEncoding(**self._positional_encoding_cfg)
        # Aux heads read the encoder memory plus one extra level: a stride-2 conv of the coarsest.
        self.downsample = nn.Sequential(
            nn.Conv2d(self.embed_dims, self.embed_dims, kernel_size=3, stride=2, padding=1),
            nn.GroupNorm(32, self.embed_dims))
        if not self.as_two_stage:
            self.query_embedding = nn.Embedding(self.num_query, self.embed_dims * 2)
        elif self.mixed_selection:
            self.query_embedding = nn.Embedding(self.num_query, self.embed_dims)

    def init_weights(self) -> None:
        self.transformer.init_weights()
        super().init_weights()

    # ------------------------------------------------------------------ forward
    def _masks_and_pos(self, mlvl_feats: Sequence[Tensor], batch_img_metas: List[dict],
                       with_pos: bool = True) -> Tuple[List[Tensor], Optional[List[Tensor]]]:
        """Padding masks (True = padding) of every level, and their sine position encodings."""
        bs = mlvl_feats[0].size(0)
        input_h, input_w = batch_img_metas[0]['batch_input_shape']
        img_masks = mlvl_feats[0].new_ones((bs, input_h, input_w))
        for img_id, meta in enumerate(batch_img_metas):
            img_h, img_w = meta['img_shape'][:2]
            img_masks[img_id, :img_h, :img_w] = 0
        masks = [F.interpolate(img_masks[None], size=f.shape[-2:]).to(torch.bool).squeeze(0)
                 for f in mlvl_feats]
        pos = [self.positional_encoding(m) for m in masks] if with_pos else None
        return masks, pos

    def forward(self, mlvl_feats: Sequence[Tensor],
                batch_img_metas: List[dict]) -> Tuple:
        """One-to-one pass.

        Returns:
            tuple: ``all_cls_scores`` (num_layers, bs, nq, C) logits; ``all_bbox_preds``
            (num_layers, bs, nq, 4) normalised (cx, cy, w, h); ``enc_cls_scores`` (bs, sum(hw), C)
            and ``enc_bbox_preds`` (bs, sum(hw), 4) of the encoder proposals (``None`` without
            two-stage); ``enc_outs``, the encoder memory as a pyramid (one contiguous map per
            input level plus the extra downsampled one) for the aux heads.
        """
        masks, pos = self._masks_and_pos(mlvl_feats, batch_img_metas)
        query_embed = self.query_embedding.weight if hasattr(self, 'query_embedding') else None
        hidden_states, references, enc_cls, enc_coord_unact, memory = self.transformer(
            mlvl_feats, masks, pos, query_embed, self.num_query,
            reg_branches=self.reg_branches if self.with_box_refine else None,
            cls_branches=self.cls_branches if self.as_two_stage else None)

        enc_outs = []
        start = 0
        for feat in mlvl_feats:
            bs, c, h, w = feat.shape
            # contiguous: mmcv's RoIAlign reads its input's raw buffer as a dense (bs, c, h, w)
            level = memory[:, start:start + h * w].transpose(1, 2).reshape(bs, c, h, w)
            enc_outs.append(level.contiguous())
            start += h * w
        enc_outs.append(self.downsample(enc_outs[-1]))

        all_cls_scores, all_bbox_preds = self.decode_layers(hidden_states, references)
        enc_bbox_preds = enc_coord_unact.sigmoid() if self.as_two_stage else None
        return all_cls_scores, all_bbox_preds, enc_cls, enc_bbox_preds, enc_outs

    def decode_layers(self, hidden_states: Tensor,
                      references: List[Tensor]) -> Tuple[Tensor, Tensor]:
        """Class logits and boxes of every decoder layer.

        With look-forward-twice, layer l's box is refined from layer l-1's *undetached* box, so
        its loss also trains layer l-1; ``references`` (from the decoder) are detached.
        """
        all_cls, all_boxes = [], []
        previous = references[0]
        for layer_id, hidden_state in enumerate(hidden_states):
            delta = self.reg_branches[layer_id](hidden_state)
            reference = previous if self.look_forward_twice else references[layer_id]
            all_cls.append(self.cls_branches[layer_id](hidden_state))
            all_boxes.append(_refine(delta, reference))
            if self.look_forward_twice:
                previous = _refine(delta, references[layer_id])
        return torch.stack(all_cls), torch.stack(all_boxes)

    # ------------------------------------------------------------------ losses
    def loss(self, x: Sequence[Tensor],
             batch_data_samples: SampleList) -> Tuple[Dict[str, Tensor], List[Tensor]]:
        """One-to-one losses, and the encoder-memory pyramid the aux heads run on."""
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        batch_gt_instances = [s.gt_instances for s in batch_data_samples]
        all_cls, all_boxes, enc_cls, enc_boxes, enc_outs = self(x, batch_img_metas)
        losses = self.loss_by_feat(all_cls, all_boxes, enc_cls, enc_boxes,
                                   batch_gt_instances, batch_img_metas)
        return losses, enc_outs

    def loss_by_feat(self,
                     all_layers_cls_scores: Tensor,
                     all_layers_bbox_preds: Tensor,
                     enc_cls_scores: Optional[Tensor],
                     enc_bbox_preds: Optional[Tensor],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> Dict[str, Tensor]:
        """Losses of every decoder layer (``d{i}.`` prefix, last layer unprefixed) and of the
        encoder proposals (``enc_`` prefix)."""
        if batch_gt_instances_ignore is not None:
            raise ValueError(f'{type(self).__name__} does not support ignored boxes')
        per_layer = [
            self.loss_by_feat_single(cls, boxes, batch_gt_instances, batch_img_metas)
            for cls, boxes in zip(all_layers_cls_scores, all_layers_bbox_preds)
        ]
        losses = _layer_loss_dict(per_layer, suffix='')
        if enc_cls_scores is not None:
            enc = self.loss_encoder(enc_cls_scores, enc_bbox_preds, batch_gt_instances,
                                    batch_img_metas)
            losses.update(zip(('enc_loss_cls', 'enc_loss_bbox', 'enc_loss_iou'), enc))
        return losses

    def loss_encoder(self, enc_cls_scores: Tensor, enc_bbox_preds: Tensor,
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict]) -> Tuple[Tensor, Tensor, Tensor]:
        """Class-agnostic loss of the two-stage encoder proposals: every ground truth is class 0
        (the channel used to select the decoder's queries)."""
        binary_gts = copy.copy(batch_gt_instances)
        for i, gt in enumerate(batch_gt_instances):
            binary_gts[i] = gt.clone()
            binary_gts[i].labels = torch.zeros_like(gt.labels)
        return self.loss_by_feat_single(enc_cls_scores, enc_bbox_preds, binary_gts,
                                        batch_img_metas)

    def loss_by_feat_single(self, cls_scores: Tensor, bbox_preds: Tensor,
                            batch_gt_instances: InstanceList,
                            batch_img_metas: List[dict]) -> Tuple[Tensor, Tensor, Tensor]:
        """Hungarian matching of one layer's queries, then :meth:`loss_from_targets`."""
        labels, label_weights, bbox_targets, bbox_weights, _, _ = self.get_targets(
            list(cls_scores), list(bbox_preds), batch_gt_instances, batch_img_metas)
        return self.loss_from_targets(cls_scores, bbox_preds, torch.stack(labels),
                                      torch.stack(label_weights), torch.stack(bbox_targets),
                                      torch.stack(bbox_weights), batch_img_metas)

    def loss_from_targets(self, cls_scores: Tensor, bbox_preds: Tensor, labels: Tensor,
                          label_weights: Tensor, bbox_targets: Tensor, bbox_weights: Tensor,
                          batch_img_metas: List[dict]) -> Tuple[Tensor, Tensor, Tensor]:
        """(loss_cls, loss_bbox, loss_iou) of one set of queries of the whole batch (Eq. 3.55).

        THE seam for other losses: called for every decoder layer (one-to-one), for the encoder
        proposals and for every layer of every aux head's positive queries.

        Args:
            cls_scores: (bs, n, C) logits.
            bbox_preds: (bs, n, 4) normalised (cx, cy, w, h) boxes.
            labels: (bs, n) class of each query's target, ``num_classes`` = negative.
            label_weights: (bs, n).
            bbox_targets: (bs, n, 4) normalised (cx, cy, w, h) targets (zeros for negatives).
            bbox_weights: (bs, n, 4), 1 for positives.
            batch_img_metas: per-image metas (``img_shape`` scales boxes to pixels for GIoU).
        """
        num_classes = cls_scores.size(-1)
        labels = labels.reshape(-1)
        num_pos = int(((labels >= 0) & (labels < self.num_classes)).sum())
        cls_avg_factor = num_pos * 1.0 + (labels.numel() - num_pos) * self.bg_cls_weight
        if self.sync_cls_avg_factor:
            cls_avg_factor = reduce_mean(cls_scores.new_tensor([cls_avg_factor]))
        cls_avg_factor = max(cls_avg_factor, 1)
        loss_cls = self.loss_cls(cls_scores.reshape(-1, num_classes), labels,
                                 label_weights.reshape(-1), avg_factor=cls_avg_factor)

        loss_bbox, loss_iou = self.box_losses_from_targets(bbox_preds, bbox_targets, bbox_weights,
                                                           batch_img_metas)
        return loss_cls, loss_bbox, loss_iou

    def box_losses_from_targets(self, bbox_preds: Tensor, bbox_targets: Tensor,
                                bbox_weights: Tensor,
                                batch_img_metas: List[dict]) -> Tuple[Tensor, Tensor]:
        """(loss_bbox, loss_iou): L1 on normalised (cx, cy, w, h) and GIoU in pixels, averaged
        over the positives (rows of ``bbox_weights`` > 0; mean over GPUs, at least 1).

        Args: as :meth:`loss_from_targets` (shapes (bs, n, 4)).
        """
        num_per_img = bbox_preds.size(1)
        bbox_preds = bbox_preds.reshape(-1, 4)
        bbox_targets = bbox_targets.reshape(-1, 4)
        bbox_weights = bbox_weights.reshape(-1, 4)
        num_pos = bbox_preds.new_tensor([float((bbox_weights[:, 0] > 0).sum())])
        avg_factor = torch.clamp(reduce_mean(num_pos), min=1).item()
        factors = self.pixel_factors(batch_img_metas, num_per_img, bbox_preds)
        loss_iou = self.loss_iou(bbox_cxcywh_to_xyxy(bbox_preds) * factors,
                                 bbox_cxcywh_to_xyxy(bbox_targets) * factors,
                                 bbox_weights, avg_factor=avg_factor)
        loss_bbox = self.loss_bbox(bbox_preds, bbox_targets, bbox_weights, avg_factor=avg_factor)
        return loss_bbox, loss_iou

    @staticmethod
    def pixel_factors(batch_img_metas: List[dict], num_per_img: int, like: Tensor) -> Tensor:
        """(bs * num_per_img, 4) factors (w, h, w, h) turning normalised boxes into pixels."""
        return torch.cat([
            like.new_tensor([m['img_shape'][1], m['img_shape'][0]] * 2).expand(num_per_img, 4)
            for m in batch_img_metas
        ])

    # ------------------------------------------------------------------ aux queries
    def loss_aux(self, x: Sequence[Tensor], positives: AuxPositives, head_idx: int,
                 batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """One-to-many losses of aux head ``head_idx``'s positive queries at every decoder
        layer, weighted by ``lambda_1`` (second term of Eq. 3.54). Keys end in ``_aux``."""
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        aux = self.get_aux_targets(positives, x, batch_img_metas)
        memory = x[:self.transformer.num_feature_levels]
        masks, _ = self._masks_and_pos(memory, batch_img_metas, with_pos=False)
        hidden_states, references = self.transformer.forward_aux(
            memory, masks, aux.coords, aux.feats, head_idx, self.reg_branches)
        all_cls, all_boxes = self.decode_layers(hidden_states, references)
        per_layer = [
            tuple(loss * self.lambda_1 for loss in self.loss_from_targets(
                cls, boxes, aux.labels, aux.label_weights, aux.targets, aux.bbox_weights,
                batch_img_metas))
            for cls, boxes in zip(all_cls, all_boxes)
        ]
        return _layer_loss_dict(per_layer, suffix='_aux')

    def get_aux_targets(self, positives: AuxPositives, x: Sequence[Tensor],
                        batch_img_metas: List[dict]) -> AuxQueries:
        """Keep up to ``max_pos_coords`` positives per image (random subset), pad every image to
        the same count with random negatives of the same head."""
        num_pos = [int(((lab >= 0) & (lab < self.num_classes)).sum()) for lab in positives.labels]
        num_queries = max(min(self.max_pos_coords, max(num_pos)), MIN_AUX_QUERIES)
        grid_feats = None
        if positives.feats is None:
            grid_feats = torch.cat([f.flatten(2) for f in x], 2).transpose(1, 2)
        out = {k: [] for k in AuxQueries._fields}
        for i, meta in enumerate(batch_img_metas):
            priors, labels, targets = positives.priors[i], positives.labels[i], positives.targets[i]
            feats = (positives.feats[i] if grid_feats is None else
                     _per_prior(grid_feats[i], priors.size(0)))
            is_pos = (labels >= 0) & (labels < self.num_classes)
            pos_inds = torch.nonzero(is_pos).squeeze(1)
            neg_inds = torch.nonzero(~is_pos).squeeze(1)
            pos_inds = pos_inds[torch.randperm(pos_inds.numel(), device=pos_inds.device)
                                [:num_queries]]
            pool = neg_inds if neg_inds.numel() else pos_inds
            if pool.numel() == 0:
                raise ValueError(f'aux head gave no priors for image {i}')
            keep = torch.cat([pos_inds, _sample(pool, num_queries - pos_inds.numel())])
            factor = priors.new_tensor([meta['img_shape'][1], meta['img_shape'][0]] * 2)
            bbox_weights = priors.new_zeros(num_queries, 4)
            bbox_weights[:pos_inds.numel()] = 1
            out['coords'].append(bbox_xyxy_to_cxcywh(priors[keep] / factor))
            out['feats'].append(feats[keep])
            out['labels'].append(labels[keep])
            out['label_weights'].append(priors.new_ones(num_queries))
            out['targets'].append(bbox_xyxy_to_cxcywh(targets[keep] / factor))
            out['bbox_weights'].append(bbox_weights)
        return AuxQueries(**{k: torch.stack(v) for k, v in out.items()})

    # ------------------------------------------------------------------ predict
    def predict(self, x: Sequence[Tensor], batch_data_samples: SampleList,
                rescale: bool = True) -> InstanceList:
        """Top-``max_per_img`` (query, class) pairs of the last decoder layer per image."""
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        all_cls, all_boxes = self(x, batch_img_metas)[:2]
        return self.predict_by_feat(all_cls, all_boxes, batch_img_metas=batch_img_metas,
                                    rescale=rescale)

    def _predict_by_feat_single(self, cls_score: Tensor, bbox_pred: Tensor, img_meta: dict,
                                rescale: bool = True):
        """mmdet's DETR post-processing of one image, keeping ``min(max_per_img, queries x
        classes)`` (query, class) pairs -- so 30 queries of a one-class set still work -- and only
        those scoring at least ``test_cfg.score_thr`` (default 0)."""
        test_cfg = self.test_cfg
        cfg = test_cfg or {}
        candidates = cls_score.numel() if self.loss_cls.use_sigmoid else len(cls_score)
        self.test_cfg = dict(cfg, max_per_img=min(cfg.get('max_per_img', candidates), candidates))
        try:
            results = super()._predict_by_feat_single(cls_score, bbox_pred, img_meta, rescale)
        finally:
            self.test_cfg = test_cfg
        score_thr = cfg.get('score_thr', 0.0)
        return results[results.scores >= score_thr] if score_thr > 0 else results


def _refine(delta: Tensor, reference: Tensor) -> Tensor:
    """Box from a predicted offset (logit space) and a reference box or point in [0, 1]."""
    if reference.size(-1) == 4:
        return (delta + inverse_sigmoid(reference)).sigmoid()
    return torch.cat([delta[..., :2] + inverse_sigmoid(reference), delta[..., 2:]], -1).sigmoid()


def _layer_loss_dict(per_layer: List[Tuple[Tensor, Tensor, Tensor]],
                     suffix: str) -> Dict[str, Tensor]:
    """mmdet's DETR naming: last layer ``loss_cls``..., earlier ones ``d{i}.loss_cls``..."""
    losses = {}
    for layer_id, layer_losses in enumerate(per_layer):
        prefix = '' if layer_id == len(per_layer) - 1 else f'd{layer_id}.'
        for name, value in zip(('loss_cls', 'loss_bbox', 'loss_iou'), layer_losses):
            losses[f'{prefix}{name}{suffix}'] = value
    return losses


def _per_prior(grid_feats: Tensor, num_priors: int) -> Tensor:
    """Repeat the (locations, dims) pyramid features for each prior of a location."""
    per_location, remainder = divmod(num_priors, grid_feats.size(0))
    if remainder or per_location == 0:
        raise ValueError(f'{num_priors} priors do not match {grid_feats.size(0)} pyramid '
                         'locations; give AuxPositives.feats for off-grid priors')
    return grid_feats.repeat_interleave(per_location, dim=0)


def _sample(pool: Tensor, k: int) -> Tensor:
    """``k`` random entries of ``pool``: without replacement when it is large enough."""
    if k <= pool.numel():
        return pool[torch.randperm(pool.numel(), device=pool.device)[:k]]
    return pool[torch.randint(pool.numel(), (k, ), device=pool.device)]
