#!/usr/bin/env python
"""Time training iterations and their classification losses: score-based vs AP/RS vs BAP/BRS.

A detector is one entry of ``DETECTORS``: one config per classification loss, the score-based
baseline (Focal Loss or cross-entropy) first. For each detector, on one batch at COCO size (default
2 images resized to 1333 x 800 keeping their aspect ratio, 7 ground-truth boxes each: the real
annotated objects of the demo photos, more of them pasted in until the count is reached, 80 classes)
and with no pretrained weights, it prints

- every classification-loss call of one training iteration (query head per decoder layer, encoder
  proposals, each aux-query set, ATSS, RPN, RoI head, ...): the problem size (N logits, P positives)
  and the loss's forward + backward time alone, replayed on the recorded inputs (median of
  ``--loss-repeats``; on CUDA also the host-device synchronisations of one call);
- per config: the total classification-loss time and the whole-iteration time
  (``model.train_step``: preprocessing, forward, backward, optimiser step), side by side, as ratios
  to the baseline, RS / BRS and AP / BAP, and the issue's targets.

An untrained RPN proposes random boxes, so the RoI head (and Co-DETR's aux queries built from its
positives) sees few positives. ``--trained-rpn`` adds a second table where the RPN's proposals are
replaced by those a well-trained RPN would give: jittered copies of each ground truth scored by
their IoU, above random background boxes, through the RPN's own NMS and top-k. Its loss calls come
from one forward pass; its iteration time is the measured one with the classification-loss time
swapped (the network's cost does not depend on the proposals). Assignment of every other head
(anchors, ATSS, Hungarian one-to-one) does not depend on training. P counts the positives the loss
ranks: configs with ``zero_iou_negative`` (the authors' behaviour) rank an assigned positive whose
box misses its ground truth (IoU 0) as a negative.

    python tools/benchmark_iter.py                               # Co-DETR / BRS-DETR / RS-DETR R50
    python tools/benchmark_iter.py --detectors co_detr atss --trained-rpn --out work_dirs/iter.json
    python tools/benchmark_iter.py --detectors co_detr_tiny --scale 320 320 --iters 5 --warmup 2
    python tools/benchmark_iter.py --detectors atss cascade_rcnn --no-iteration   # loss calls only
    python tools/benchmark_iter.py --device cuda --detectors all
"""
import argparse
import copy
import json
import math
import os
import statistics
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / 'tools'))
from benchmark_timing import count_syncs, timed  # noqa: E402

#: Suffix of a config spec: that config with every ranking loss unbucketed (bucketed=False).
UNBUCKETED = '#unbucketed'
RANKING_LOSSES = ('RankSortLoss', 'APLoss')
#: Jittered copies of each ground truth among the synthesised trained-RPN candidates.
TRAINED_RPN_COPIES_PER_GT = 200


@dataclass(frozen=True)
class Detector:
    """One benchmark entry: a config per classification loss, the score-based baseline first."""

    configs: Dict[str, str]
    bucketed_max: float  # target: the bucketed loss's cls time <= this x the baseline's
    unbucketed_min: float = 5.0  # target: the unbucketed loss's cls time >= this x the bucketed's
    notes: str = ''


CO_DETR_TINY = 'configs/co_detr/co_deformable_detr_tiny_1xb2-demo.py'
BRS_DETR_TINY = 'configs/brs_detr/brs_detr_tiny_1xb2-demo.py'
DETECTORS = {
    'co_detr': Detector({
        'Focal': 'configs/co_detr/co_deformable_detr_r50_8xb2-12e_coco.py',
        'BRS': 'configs/brs_detr/brs_detr_r50_8xb2-12e_coco.py',
        'RS': 'configs/brs_detr/rs_detr_r50_8xb2-12e_coco.py',
    }, bucketed_max=1.0, notes='Co-DETR (Focal/CE) vs BRS-DETR vs RS-DETR, R50'),
    'co_detr_tiny': Detector({
        'Focal': CO_DETR_TINY,
        'BRS': BRS_DETR_TINY,
        'RS': BRS_DETR_TINY + UNBUCKETED,
    }, bucketed_max=1.0, notes='the tiny CPU configs (ResNet-18, 2+2 layers, 30 queries)'),
    # One-stage detectors (issue 9): score-based loss, AP / BAP, RS / BRS.
    **{family: Detector({
        loss: f'configs/{family}/{family}_r50_fpn_{loss.lower()}_8xb2-12e_coco.py'
        for loss in ('Focal', 'AP', 'BAP', 'RS', 'BRS')
    }, bucketed_max=2.0, notes=f'{family.upper()} R50 FPN') for family in ('atss', 'paa')},
    'retinanet': Detector({
        'Focal': 'configs/retinanet/retinanet_r50_fpn_focal_8xb2-12e_coco.py',
        'BRS': 'configs/retinanet/retinanet_r50_fpn_brs_8xb2-12e_coco.py',
        'RS': 'configs/retinanet/retinanet_r50_fpn_brs_8xb2-12e_coco.py' + UNBUCKETED,
    }, bucketed_max=2.0, notes='RetinaNet R50 FPN (RS: the BRS config unbucketed)'),
    # Two-stage detectors (issue 10): cross-entropy, RS, BRS.
    **{family: Detector({
        loss: f'configs/{family}/{family.replace("_", "-")}_r50_fpn_{loss.lower()}_4xb4-12e_coco.py'
        for loss in ('CE', 'RS', 'BRS')
    }, bucketed_max=2.0, notes=f'{family} R50 FPN') for family in ('faster_rcnn', 'cascade_rcnn',
                                                                    'mask_rcnn')},
}
PAIRS = (('RS', 'BRS'), ('AP', 'BAP'))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--detectors', nargs='+', default=['co_detr'],
                        help=f'entries of DETECTORS ({", ".join(DETECTORS)}) or "all"')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--images', type=int, default=2, help='batch size')
    parser.add_argument('--boxes-per-image', type=int, default=7,
                        help='ground-truth boxes per image (COCO train2017: 7.3 on average)')
    parser.add_argument('--scale', type=int, nargs=2, default=(1333, 800), metavar=('LONG', 'SHORT'),
                        help='mmdet Resize scale, aspect ratio kept')
    parser.add_argument('--warmup', type=int, default=0, help='untimed iterations per config')
    parser.add_argument('--iters', type=int, default=1, help='timed iterations (median)')
    parser.add_argument('--loss-repeats', type=int, default=5,
                        help='timed replays of each loss call (median)')
    parser.add_argument('--no-iteration', action='store_true',
                        help='only the loss calls of one forward pass: no iteration timing')
    parser.add_argument('--trained-rpn', action='store_true',
                        help='also measure with proposals of a (synthesised) trained RPN')
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default=None, help='write every number to this JSON file')
    args = parser.parse_args(argv)
    if args.detectors == ['all']:
        args.detectors = list(DETECTORS)
    unknown = [name for name in args.detectors if name not in DETECTORS]
    if unknown:
        parser.error(f'unknown detector(s) {unknown}; known: {list(DETECTORS)}')
    return args


# ----------------------------------------------------------------------------- configs and models
def unbucketed(cfg_node):
    """Copy of a config (sub)tree with every ranking loss set to its unbucketed original."""
    if isinstance(cfg_node, dict):
        node = {key: unbucketed(value) for key, value in cfg_node.items()}
        if node.get('type') in RANKING_LOSSES:
            node['bucketed'] = False
        return type(cfg_node)(node)
    if isinstance(cfg_node, (list, tuple)):
        return type(cfg_node)(unbucketed(value) for value in cfg_node)
    return cfg_node


def without_pretrained(cfg_node):
    """Copy of a config (sub)tree without ``init_cfg=dict(type='Pretrained', ...)`` (no download)."""
    if isinstance(cfg_node, dict):
        node = {key: without_pretrained(value) for key, value in cfg_node.items()}
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node['init_cfg'] = None
        return type(cfg_node)(node)
    if isinstance(cfg_node, (list, tuple)):
        return type(cfg_node)(without_pretrained(value) for value in cfg_node)
    return cfg_node


def load_config(spec: str):
    """The config of ``spec`` (a path or ``mmdet::`` name, optionally + UNBUCKETED)."""
    from mmengine.config import Config
    path, derived = (spec[:-len(UNBUCKETED)], True) if spec.endswith(UNBUCKETED) else (spec, False)
    if not path.startswith('mmdet::') and not Path(path).is_absolute():
        path = str(REPO_ROOT / path)
    cfg = Config.fromfile(path)
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    model = without_pretrained(cfg.model)
    cfg.model = unbucketed(model) if derived else model
    return cfg


def build_trainer(cfg, device, seed: int):
    """The model and its optimiser wrapper as the config builds them, initialised from ``seed``."""
    from mmdet.registry import MODELS
    from mmengine.optim import build_optim_wrapper
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.to(device).train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def has_masks(cfg) -> bool:
    return cfg.model.get('roi_head') is not None and not isinstance(
        cfg.model.roi_head, (list, tuple)) and cfg.model.roi_head.get('mask_head') is not None


# ----------------------------------------------------------------------------- the batch
def coco_size_batch(num_images: int, boxes_per_image: int, scale, with_masks: bool, seed: int):
    """A training batch of the demo photos at COCO size with ``boxes_per_image`` real objects each.

    Image i is demo photo i (cycling) with its own annotated objects; further annotated objects of
    the other photos (their box crops, polygons moved along) are pasted where they overlap earlier
    boxes by IoU < 0.3, until the image holds ``boxes_per_image``. Then mmdet's own transforms
    (annotations, keep-ratio Resize to ``scale``, packing) make the samples, as a dataloader would.
    """
    import mmcv
    from mmengine.dataset import Compose, pseudo_collate

    from brs_detr.data.demo_dataset import prepare_demo_dataset
    from mmdet.structures.bbox import bbox_overlaps

    root = prepare_demo_dataset(REPO_ROOT / 'data' / 'demo_coco')
    coco = json.loads((root / 'annotations.json').read_text())
    images = sorted(coco['images'], key=lambda im: im['id'])
    objects = {im['id']: [] for im in images}
    for ann in coco['annotations']:
        if not ann.get('iscrowd', 0):
            objects[ann['image_id']].append(ann)
    arrays = {im['id']: mmcv.imread(str(root / 'images' / im['file_name'])) for im in images}
    labels = {cat['id']: k for k, cat in enumerate(sorted(coco['categories'], key=lambda c: c['id']))}
    rng = np.random.default_rng(seed)
    pool = [(im['id'], ann) for im in images for ann in objects[im['id']]]

    pipeline = Compose([
        dict(type='mmdet.LoadImageFromNDArray'),
        dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=with_masks),
        dict(type='mmdet.Resize', scale=tuple(scale), keep_ratio=True),
        dict(type='mmdet.PackDetInputs'),
    ])
    samples = []
    for i in range(num_images):
        base = images[i % len(images)]['id']
        canvas = arrays[base].copy()
        height, width = canvas.shape[:2]
        instances = [_instance(ann, labels, 1.0, 0.0, 0.0) for ann in objects[base][:boxes_per_image]]
        donors = [item for item in pool if item[0] != base] or pool
        attempt = 0
        while len(instances) < boxes_per_image:
            if attempt > 50 * boxes_per_image:
                raise RuntimeError(f'could not place {boxes_per_image} objects in a '
                                   f'{width}x{height} demo image')
            donor_id, ann = donors[attempt % len(donors)]
            attempt += 1
            x, y, w, h = ann['bbox']
            factor = min(1.0, 0.5 * width / w, 0.5 * height / h) * rng.uniform(0.6, 1.0)
            crop = arrays[donor_id][int(y):int(y + h), int(x):int(x + w)]
            crop = mmcv.imresize(crop, (max(2, int(crop.shape[1] * factor)),
                                        max(2, int(crop.shape[0] * factor))))
            ch, cw = crop.shape[:2]
            left, top = rng.integers(0, width - cw + 1), rng.integers(0, height - ch + 1)
            box = torch.tensor([[left, top, left + cw, top + ch]], dtype=torch.float32)
            placed = torch.tensor([inst['bbox'] for inst in instances], dtype=torch.float32)
            if len(instances) and bbox_overlaps(box, placed).max() >= 0.3:
                continue
            canvas[top:top + ch, left:left + cw] = crop
            instances.append(_instance(ann, labels, cw / w, left - x * cw / w, top - y * ch / h,
                                       scale_y=ch / h, clip=(left, top, left + cw, top + ch)))
        samples.append(pipeline(dict(img=canvas, img_id=i, instances=instances)))
    return pseudo_collate(samples)


def _instance(ann, labels, scale_x, shift_x, shift_y, scale_y=None, clip=None):
    """An mmdet instance dict of a COCO annotation, its box and polygons scaled and moved."""
    scale_y = scale_x if scale_y is None else scale_y
    x, y, w, h = ann['bbox']
    bbox = [x * scale_x + shift_x, y * scale_y + shift_y, (x + w) * scale_x + shift_x,
            (y + h) * scale_y + shift_y]
    polygons = []
    for poly in ann.get('segmentation') or []:
        pts = np.asarray(poly, dtype=np.float64).reshape(-1, 2) * (scale_x, scale_y) + (shift_x,
                                                                                       shift_y)
        if clip is not None:
            pts = pts.clip((clip[0], clip[1]), (clip[2], clip[3]))
        polygons.append(pts.reshape(-1).tolist())
    if not polygons:  # a box-shaped mask where the annotation has no polygon
        polygons = [[bbox[0], bbox[1], bbox[2], bbox[1], bbox[2], bbox[3], bbox[0], bbox[3]]]
    return dict(bbox=bbox, bbox_label=labels[ann['category_id']], ignore_flag=0, mask=polygons)


# ----------------------------------------------------------------------------- recording losses
@dataclass
class LossCall:
    """One classification-loss call of an iteration, with its inputs kept for replay."""

    label: str
    module: torch.nn.Module
    args: tuple
    kwargs: dict
    num_logits: int
    num_pos: int
    seconds: Optional[float] = None
    syncs: Optional[int] = None


def is_classification_loss(name: str, module: torch.nn.Module) -> bool:
    from brs_detr.models.losses import RankingLoss
    return isinstance(module, RankingLoss) or name.rsplit('.', 1)[-1] == 'loss_cls'


def problem_size(module: torch.nn.Module, args: tuple):
    """(N logits, P positives) of one classification-loss call.

    A ranking loss gets a flat problem whose positives have targets > 0. A score-based loss gets
    (N, C) logits and labels, a positive's label in [0, C) (C excludes a softmax background logit).
    """
    from brs_detr.models.losses import RankingLoss
    pred, target = args[0], args[1]
    if isinstance(module, RankingLoss):
        return pred.numel(), int((target > 0).sum())
    if isinstance(target, (tuple, list)):  # (labels, quality scores) of QFL-style losses
        target = target[0]
    num_classes = pred.shape[-1] - (0 if getattr(module, 'use_sigmoid', True) else 1)
    if target.dim() == pred.dim():  # one-hot or soft targets
        return pred.numel(), int((target.reshape(-1, pred.shape[-1]) > 0).any(-1).sum())
    return pred.numel(), int(((target >= 0) & (target < num_classes)).sum())


def call_context() -> str:
    """Which set of queries a query-head loss call belongs to, read off the call stack:
    ``enc`` for the two-stage encoder proposals, ``aux{k}`` for aux head k's positive queries."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_name
        if name == 'loss_encoder':
            return 'enc'
        if name == 'loss_aux':
            return f'aux{frame.f_locals.get("head_idx", "")}'
        if name in ('train_step', 'loss'):
            if frame.f_code.co_filename.endswith(('base.py', 'base_model.py')):
                break
        frame = frame.f_back
    return ''


class LossRecorder:
    """Records every classification-loss call of a model while ``recording`` is True."""

    def __init__(self, model: torch.nn.Module):
        self.recording = False
        self.calls: List[LossCall] = []
        self.modules = {name: m for name, m in model.named_modules()
                        if is_classification_loss(name, m)}
        for name, module in self.modules.items():
            module.register_forward_pre_hook(self._hook(name), with_kwargs=True)

    def _hook(self, name):
        path = name[:-len('.loss_cls')] if name.endswith('.loss_cls') else name

        def record(module, args, kwargs):
            if self.recording:
                args = tuple(_detached(a) for a in args)
                kwargs = {k: _detached(v) for k, v in kwargs.items()}
                context = call_context()
                label = f'{path} {context}'.strip()
                self.calls.append(LossCall(label, module, args, kwargs, *problem_size(module, args)))
        return record

    def labelled_calls(self) -> List[LossCall]:
        """The calls, an index appended where one label was called several times (for the
        query head: the decoder layer)."""
        totals: Dict[str, int] = {}
        for call in self.calls:
            totals[call.label] = totals.get(call.label, 0) + 1
        seen: Dict[str, int] = {}
        out = []
        for call in self.calls:
            index = seen.get(call.label, 0)
            seen[call.label] = index + 1
            kind = 'layer' if call.label.startswith('query_head') else '#'
            label = call.label if totals[call.label] == 1 else f'{call.label} {kind}{index}'
            out.append(LossCall(label, call.module, call.args, call.kwargs, call.num_logits,
                                call.num_pos))
        return out


def _detached(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (tuple, list)):
        return type(value)(_detached(v) for v in value)
    return value


def loss_step(call: LossCall):
    """A closure running the loss's forward + backward on the recorded inputs."""
    def step():
        pred = call.args[0].detach().requires_grad_()
        out = call.module(pred, *call.args[1:], **call.kwargs)
        outputs = out if isinstance(out, (tuple, list)) else (out, )
        sum(o.sum() for o in outputs).backward()
    return step


def time_calls(calls_per_config: Dict[str, List[LossCall]], repeats: int,
               device: torch.device) -> None:
    """Median replay time of every call; the repeats go round-robin over all configs' calls, so
    that a change of machine load hits every loss alike."""
    calls = [call for config_calls in calls_per_config.values() for call in config_calls]
    steps = [loss_step(call) for call in calls]
    times = [[] for _ in calls]
    for repeat in range(repeats + 1):  # the first round warms up
        for step, call_times in zip(steps, times):
            seconds = timed(step, device)
            if repeat:
                call_times.append(seconds)
    for call, step, call_times in zip(calls, steps, times):
        call.seconds = statistics.median(call_times)
        call.syncs = count_syncs(step, device)


# ----------------------------------------------------------------------------- a trained RPN
@contextmanager
def trained_rpn(model, seed: int):
    """Within the block, the model's RPN returns proposals a well-trained RPN would give
    (see :func:`synthesised_proposals`); its own loss is computed as usual."""
    rpn = getattr(model, 'rpn_head', None)
    if rpn is None:
        yield False
        return
    original = rpn.loss_and_predict
    gen = torch.Generator().manual_seed(seed)

    def loss_and_predict(x, batch_data_samples, proposal_cfg=None, **kwargs):
        losses, results = original(x, batch_data_samples, proposal_cfg=proposal_cfg, **kwargs)
        return losses, [
            synthesised_proposals(sample.gt_instances, sample.metainfo['img_shape'],
                                  len(result), proposal_cfg, gen)
            for result, sample in zip(results, batch_data_samples)]

    rpn.loss_and_predict = loss_and_predict
    try:
        yield True
    finally:
        del rpn.loss_and_predict


def synthesised_proposals(gt_instances, img_shape, num, proposal_cfg, gen):
    """``num`` proposals as from a well-trained RPN: ``TRAINED_RPN_COPIES_PER_GT`` copies of each
    ground truth, centre moved by N(0, 0.1 x size), size scaled by exp(N(0, 0.15)), scored by their
    IoU with it; as many random background boxes scored U(0, 0.5); then the RPN's NMS (IoU
    threshold from ``proposal_cfg``) and its top ``num`` by score."""
    from mmcv.ops import nms
    from mmengine.structures import InstanceData

    from mmdet.structures.bbox import bbox_overlaps, get_box_tensor
    gts = get_box_tensor(gt_instances.bboxes).float().cpu()
    height, width = img_shape[:2]
    limits = torch.tensor([width, height, width, height], dtype=torch.float32)
    copies = TRAINED_RPN_COPIES_PER_GT
    centre = ((gts[:, :2] + gts[:, 2:]) / 2).repeat_interleave(copies, 0)
    size = (gts[:, 2:] - gts[:, :2]).clamp(min=1).repeat_interleave(copies, 0)
    centre = centre + 0.1 * size * torch.randn(centre.shape, generator=gen)
    size = size * torch.exp(0.15 * torch.randn(size.shape, generator=gen))
    near = torch.cat((centre - size / 2, centre + size / 2), 1)
    near = torch.minimum(near.clamp(min=0), limits)
    near_scores = bbox_overlaps(near, gts.repeat_interleave(copies, 0), is_aligned=True)
    num_bg = max(num, 1)
    bg_centre = torch.rand(num_bg, 2, generator=gen) * limits[:2]
    bg_size = torch.exp(torch.empty(num_bg, 2).uniform_(np.log(16), np.log(max(width, height) / 2),
                                                        generator=gen))
    background = torch.minimum(torch.cat((bg_centre - bg_size / 2, bg_centre + bg_size / 2),
                                         1).clamp(min=0), limits)
    boxes = torch.cat((near, background))
    scores = torch.cat((near_scores, 0.5 * torch.rand(num_bg, generator=gen)))
    valid = ((boxes[:, 2:] - boxes[:, :2]) > 1).all(1)
    boxes, scores = boxes[valid], scores[valid]
    iou_threshold = proposal_cfg.get('nms', {}).get('iou_threshold', 0.7) if proposal_cfg else 0.7
    _, keep = nms(boxes, scores, iou_threshold)
    keep = keep[:num]
    device = gt_instances.labels.device
    result = InstanceData()
    result.bboxes = boxes[keep].to(device)
    result.scores = scores[keep].to(device)
    result.labels = torch.zeros(keep.numel(), dtype=torch.long, device=device)
    return result


# ----------------------------------------------------------------------------- one detector
@dataclass
class ConfigResult:
    iteration_s: float
    calls: List[LossCall] = field(default_factory=list)

    @property
    def cls_s(self) -> float:
        return sum(call.seconds for call in self.calls)


def train_step(model, optim_wrapper, batch):
    log_vars = model.train_step(copy.deepcopy(batch), optim_wrapper)
    loss = torch.as_tensor(log_vars['loss'])
    if not torch.isfinite(loss):
        raise FloatingPointError(f'non-finite loss: {log_vars}')


def record_iteration(model, optim_wrapper, batch, recorder: LossRecorder, device) -> float:
    """Seconds of one training iteration; the recorder holds its loss calls afterwards."""
    recorder.calls = []
    recorder.recording = True
    try:
        return timed(lambda: train_step(model, optim_wrapper, batch), device)
    finally:
        recorder.recording = False


def record_forward(model, batch, recorder: LossRecorder, seed: int, trained: bool) -> None:
    """Record the loss calls of one forward pass (no backward, no update)."""
    torch.manual_seed(seed)
    recorder.calls = []
    recorder.recording = True
    try:
        with trained_rpn(model, seed) if trained else _nothing(), torch.no_grad():
            data = model.data_preprocessor(copy.deepcopy(batch), True)
            model(**data, mode='loss')
    finally:
        recorder.recording = False


def measure(trainers, batch, args, device) -> Dict[str, ConfigResult]:
    """Iteration times (median, configs round-robin so machine load hits all alike) and the
    replayed loss calls of the last iteration, per config. With ``--no-iteration``: the loss
    calls of one forward pass only, and no iteration time (NaN)."""
    times = {name: [] for name in trainers}
    for name, (model, _, recorder) in trainers.items() if args.no_iteration else ():
        record_forward(model, batch, recorder, args.seed, trained=False)
    for step in range(0 if args.no_iteration else args.warmup + args.iters):
        for name, (model, optim_wrapper, recorder) in trainers.items():
            torch.manual_seed(args.seed + step)  # same dropout and aux-query draws for every config
            seconds = record_iteration(model, optim_wrapper, batch, recorder, device)
            if step >= args.warmup:
                times[name].append(seconds)
    calls = {name: recorder.labelled_calls() for name, (_, _, recorder) in trainers.items()}
    time_calls(calls, args.loss_repeats, device)
    return {name: ConfigResult(statistics.median(times[name]) if times[name] else float('nan'),
                               calls[name]) for name in trainers}


def measure_trained(trainers, batch, args, device,
                    untrained: Dict[str, ConfigResult]) -> Dict[str, ConfigResult]:
    """The loss calls of one forward pass with a trained RPN's proposals, replayed. The network's
    cost does not depend on the proposals, so the iteration time is estimated as the measured
    untrained one with its classification-loss time replaced by this one's."""
    calls = {}
    for name, (model, _, recorder) in trainers.items():
        record_forward(model, batch, recorder, args.seed, trained=True)
        calls[name] = recorder.labelled_calls()
    time_calls(calls, args.loss_repeats, device)
    results = {}
    for name in trainers:
        result = ConfigResult(0.0, calls[name])
        result.iteration_s = untrained[name].iteration_s - untrained[name].cls_s + result.cls_s
        results[name] = result
    return results


@contextmanager
def _nothing():
    yield False


def format_tables(name: str, detector: Detector, results: Dict[str, ConfigResult],
                  title: str) -> str:
    lines = [f'--- {name}: {title}']
    labels = []
    for result in results.values():
        labels += [call.label for call in result.calls if call.label not in labels]
    with_syncs = any(call.syncs is not None for r in results.values() for call in r.calls)
    header = f'{"loss call":28s}' + ''.join(f' | {loss + " N / P / ms":>27s}' for loss in results)
    lines += [header, '-' * len(header)]
    for label in labels:
        row = f'{label:28s}'
        for result in results.values():
            call = next((c for c in result.calls if c.label == label), None)
            cell = '-' if call is None else (f'{call.num_logits:,} / {call.num_pos:,} / '
                                             f'{call.seconds * 1e3:.1f}'
                                             + (f' ({call.syncs} syncs)' if with_syncs else ''))
            row += f' | {cell:>27s}'
        lines.append(row)
    baseline = next(iter(results))
    lines.append(f'{"":8s} {"cls loss [s]":>12s} {"iteration [s]":>14s} '
                 f'{"cls / " + baseline:>14s} {"iter / " + baseline:>14s}')
    timed = not math.isnan(results[baseline].iteration_s)  # False with --no-iteration
    for loss, result in results.items():
        base = results[baseline]
        seconds, ratio = ((f'{result.iteration_s:14.2f}',
                           f'{result.iteration_s / base.iteration_s:13.2f}x') if timed else
                          (f'{"-":>14s}', f'{"-":>14s}'))
        lines.append(f'{loss:8s} {result.cls_s:12.4f} {seconds} '
                     f'{result.cls_s / base.cls_s:13.2f}x {ratio}')
    for slow, fast in PAIRS:
        if slow in results and fast in results:
            cls_ratio = results[slow].cls_s / results[fast].cls_s
            met = 'met' if cls_ratio >= detector.unbucketed_min else 'MISSED'
            iteration = (f', iteration {results[slow].iteration_s / results[fast].iteration_s:.2f}x'
                         if timed else '')
            lines.append(f'{slow} / {fast}: cls loss {cls_ratio:.2f}x (target >= '
                         f'{detector.unbucketed_min:g}x: {met}){iteration}')
            fast_ratio = results[fast].cls_s / results[baseline].cls_s
            met = 'met' if fast_ratio <= detector.bucketed_max else 'MISSED'
            lines.append(f'{fast} / {baseline}: cls loss {fast_ratio:.2f}x (target <= '
                         f'{detector.bucketed_max:g}x: {met})')
    return '\n'.join(lines)


def as_json(results: Dict[str, ConfigResult]) -> dict:
    return {loss: dict(iteration_s=r.iteration_s, cls_s=r.cls_s, calls=[
        dict(label=c.label, loss=type(c.module).__name__, N=c.num_logits, P=c.num_pos,
             seconds=c.seconds, syncs=c.syncs) for c in r.calls]) for loss, r in results.items()}


def run_detector(name: str, args, device) -> dict:
    detector = DETECTORS[name]
    cfgs = {loss: load_config(spec) for loss, spec in detector.configs.items()}
    batch = coco_size_batch(args.images, args.boxes_per_image, args.scale,
                            any(has_masks(cfg) for cfg in cfgs.values()), args.seed)
    shapes = [tuple(sample.metainfo['img_shape']) for sample in batch['data_samples']]
    boxes = [len(sample.gt_instances) for sample in batch['data_samples']]
    print(f'=== {name} ({detector.notes}): {len(shapes)} images {shapes}, gt boxes {boxes}; '
          f'{device}, {torch.get_num_threads()} threads; iteration: median of {args.iters} after '
          f'{args.warmup} warm-up; loss calls: median of {args.loss_repeats} replays', flush=True)
    trainers = {}
    for loss, cfg in cfgs.items():
        model, optim_wrapper = build_trainer(cfg, device, args.seed)
        trainers[loss] = (model, optim_wrapper, LossRecorder(model))
    out = {'images': shapes, 'gt_boxes': boxes}
    untrained = measure(trainers, batch, args, device)
    print(format_tables(name, detector, untrained, 'untrained model'), flush=True)
    out['untrained'] = as_json(untrained)
    if args.trained_rpn and all(getattr(m, 'rpn_head', None) is not None
                                for m, _, _ in trainers.values()):
        trained = measure_trained(trainers, batch, args, device, untrained)
        print(format_tables(name, detector, trained,
                            'RoI head fed the proposals of a (synthesised) trained RPN; iteration '
                            '= untrained network + these losses (estimated)'), flush=True)
        out['trained-rpn'] = as_json(trained)
    return out


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    os.chdir(REPO_ROOT)
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    MMLogger.get_instance('benchmark_iter', log_level='ERROR')  # quiet model building
    init_default_scope('mmdet')
    device = torch.device(args.device)
    report = {'device': torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu',
              'threads': torch.get_num_threads(), 'torch': torch.__version__, 'args': vars(args)}
    for name in args.detectors:
        report[name] = run_detector(name, args, device)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=1, default=str))
        print(f'wrote {args.out}')
    return report


if __name__ == '__main__':
    main()
