"""The Co-DETR detector (thesis Sec. 3.5, Eq. 3.54) on MMDetection 3.3.

backbone -> neck -> query head (two-stage Deformable DETR). In training, the auxiliary heads --
an optional RPN feeding ``roi_head`` entries, and ``bbox_head`` entries (dense heads such as
ATSS) -- run on the encoder memory pyramid returned by the query head; each hands its positives
back to the query head, which decodes them as extra positive queries. Every head is built from
config, so any head class with the same methods can be swapped in.

Config layout follows the official release: ``train_cfg``/``test_cfg`` are lists indexed as
``[query_head, rpn+roi_head[0], ..., bbox_head[0], ...]`` (the RPN uses the ``rpn`` /
``rpn_proposal`` entries and each RoI head the ``rcnn`` entry of its item).
"""
import copy
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.model import ModuleList
from torch import Tensor

from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList

EVAL_MODULES = ('detr', 'one-stage', 'two-stage')


@MODELS.register_module()
class CoDETR(BaseDetector):
    """Co-DETR with a query head and K auxiliary heads used only in training.

    Args:
        backbone, neck: as in any mmdet detector.
        query_head (dict): the DETR head (:class:`CoDeformDETRHead`).
        rpn_head (dict, optional): proposals for the RoI heads.
        roi_head (list[dict]): two-stage aux heads (:class:`CoStandardRoIHead`).
        bbox_head (list[dict]): one-stage aux heads (:class:`CoATSSHead`).
        train_cfg, test_cfg (list): per-head settings, official Co-DETR layout (module doc).
        with_pos_coord (bool): feed the aux heads' positives to the decoder (the aux queries).
        eval_module (str): which head predicts: 'detr' (query head, default), 'one-stage'
            (``bbox_head[eval_index]``) or 'two-stage' (RPN + ``roi_head[eval_index]``).
        eval_index (int): index of the aux head used for prediction.

    Loss keys: query head ``loss_cls``/``d{i}.loss_cls``/``enc_loss_cls`` (and bbox, iou);
    RPN ``loss_rpn_cls``/``loss_rpn_bbox``; aux head k (RoI heads first, then dense heads) keys
    end in ``k`` (``loss_cls0``, ``loss_centerness1``); the aux queries of head k end in
    ``_aux{k}`` (``loss_cls_aux0``, ``d2.loss_iou_aux1``).
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 query_head: Optional[dict] = None,
                 rpn_head: Optional[dict] = None,
                 roi_head: Sequence[Optional[dict]] = (None, ),
                 bbox_head: Sequence[Optional[dict]] = (None, ),
                 train_cfg: Optional[Sequence] = None,
                 test_cfg: Optional[Sequence] = None,
                 with_pos_coord: bool = True,
                 eval_module: str = 'detr',
                 eval_index: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if eval_module not in EVAL_MODULES:
            raise ValueError(f'eval_module={eval_module!r}, expected one of {EVAL_MODULES}')
        self.with_pos_coord = with_pos_coord
        self.eval_module = eval_module
        self.eval_index = eval_index
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        head_idx = 0
        if query_head is not None:
            self.query_head = MODELS.build(dict(query_head, train_cfg=_cfg_at(train_cfg, 0),
                                                test_cfg=_cfg_at(test_cfg, 0)))
            head_idx = 1
        self.head_idx = head_idx
        if rpn_head is not None:
            self.rpn_head = MODELS.build(dict(
                rpn_head, train_cfg=_cfg_at(train_cfg, head_idx, 'rpn'),
                test_cfg=_cfg_at(test_cfg, head_idx, 'rpn')))
        roi_cfgs = [cfg for cfg in roi_head if cfg]
        # mmengine's ModuleList, so that init_weights reaches the heads (init_cfg).
        self.roi_head = ModuleList(
            MODELS.build(dict(cfg, train_cfg=_cfg_at(train_cfg, head_idx + i, 'rcnn'),
                              test_cfg=_cfg_at(test_cfg, head_idx + i, 'rcnn')))
            for i, cfg in enumerate(roi_cfgs))
        first_dense = head_idx + len(roi_cfgs)
        self.bbox_head = ModuleList(
            MODELS.build(dict(cfg, train_cfg=_cfg_at(train_cfg, first_dense + i),
                              test_cfg=_cfg_at(test_cfg, first_dense + i)))
            for i, cfg in enumerate(cfg for cfg in bbox_head if cfg))
        if self.roi_head and not self.with_rpn:
            raise ValueError('roi_head needs an rpn_head to give it proposals')
        _check_same_classes(self)

    @property
    def with_rpn(self) -> bool:
        return getattr(self, 'rpn_head', None) is not None

    @property
    def with_query_head(self) -> bool:
        return getattr(self, 'query_head', None) is not None

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor]:
        x = self.backbone(batch_inputs)
        return self.neck(x) if self.with_neck else x

    def _forward(self, batch_inputs: Tensor, batch_data_samples: SampleList = None) -> Tuple:
        """Query head outputs, for tools that trace the network (no post-processing)."""
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        return self.query_head(self.extract_feat(batch_inputs), batch_img_metas)

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """All terms of Eq. 3.54: one-to-one query losses, aux-head losses, aux-query losses."""
        x = self.extract_feat(batch_inputs)
        losses, memory = self.query_head.loss(x, batch_data_samples)

        proposals = None
        if self.with_rpn:
            rpn_data_samples = copy.deepcopy(batch_data_samples)
            for sample in rpn_data_samples:
                sample.gt_instances.labels = torch.zeros_like(sample.gt_instances.labels)
            proposal_cfg = self.train_cfg[self.head_idx].get(
                'rpn_proposal', self.test_cfg[self.head_idx]['rpn'])
            rpn_losses, proposals = self.rpn_head.loss_and_predict(
                memory, rpn_data_samples, proposal_cfg=proposal_cfg)
            losses.update(rpn_losses)

        positives = []
        aux_heads = [(head, (memory, proposals, batch_data_samples)) for head in self.roi_head]
        aux_heads += [(head, (memory, batch_data_samples)) for head in self.bbox_head]
        for k, (head, args) in enumerate(aux_heads):
            if self.with_pos_coord:
                head_losses, head_positives = head.loss_and_positives(*args)
                positives.append(head_positives)
            else:
                head_losses = head.loss(*args)
            losses.update(_suffixed(head_losses, str(k)))
        for k, head_positives in enumerate(positives):
            aux_losses = self.query_head.loss_aux(memory, head_positives, k, batch_data_samples)
            losses.update(_suffixed(aux_losses, str(k)))
        return losses

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Detections of the head chosen by ``eval_module`` / ``eval_index``."""
        x = self.extract_feat(batch_inputs)
        if self.eval_module == 'detr':
            results = self.query_head.predict(x, batch_data_samples, rescale=rescale)
        else:
            batch_img_metas = [s.metainfo for s in batch_data_samples]
            memory = self.query_head(x, batch_img_metas)[-1]
            if self.eval_module == 'one-stage':
                results = self.bbox_head[self.eval_index].predict(
                    memory, batch_data_samples, rescale=rescale)
            else:
                proposals = self.rpn_head.predict(memory, batch_data_samples, rescale=False)
                results = self.roi_head[self.eval_index].predict(
                    memory, proposals, batch_data_samples, rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results)


def _check_same_classes(detector: CoDETR) -> None:
    """Every head must predict the same classes; otherwise training fails much later (an
    IndexError in the matcher or the metric) or silently trains aux heads on other classes."""
    heads = [('query_head', getattr(detector, 'query_head', None))]
    heads += [(f'roi_head[{i}].bbox_head', head.bbox_head) for i, head in enumerate(detector.roi_head)]
    heads += [(f'bbox_head[{i}]', head) for i, head in enumerate(detector.bbox_head)]
    counts = [(name, head.num_classes) for name, head in heads if hasattr(head, 'num_classes')]
    if len({n for _, n in counts}) > 1:
        raise ValueError('the heads disagree on the number of classes: ' +
                         ', '.join(f'model.{name}.num_classes={n}' for name, n in counts) +
                         '; set `classes = (...)` once in the config (configs/custom/README.md)')


def _cfg_at(cfgs: Optional[Sequence], index: int, key: Optional[str] = None):
    """``cfgs[index][key]`` with ``None`` wherever the list, item or key is missing."""
    if cfgs is None or index >= len(cfgs) or cfgs[index] is None:
        return None
    return cfgs[index] if key is None else cfgs[index].get(key)


def _suffixed(losses: Dict[str, Tensor], suffix: str) -> Dict[str, Tensor]:
    return {f'{name}{suffix}': value for name, value in losses.items()}
