"""Our side of the official-code oracle: rebuild the golden network in this repo and compare.

Builds our released config (``configs/co_detr/...r50...`` or ``configs/brs_detr/...r50...``) at
the golden sizes (``shrink``, the same sizes ``make_golden.py`` gives the official config),
loads the recipe weights of the official tensor names stored in the golden file through
``tools/convert_official_checkpoint.py``, runs the same input, and reports every loss key,
gradient group and detection list beside the golden numbers::

    python tools/oracle/compare.py co_detr     # or brs_detr; prints the difference table
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from mmengine.config import DictAction  # noqa: E402

from tools.convert_official_checkpoint import convert_state_dict  # noqa: E402
from tools.oracle import golden_inputs as gi  # noqa: E402

GOLDEN_DIR = REPO_ROOT / 'tests' / 'oracle' / 'golden'
OUR_CONFIGS = {
    'co_detr': 'configs/co_detr/co_deformable_detr_r50_8xb2-12e_coco.py',
    'brs_detr': 'configs/brs_detr/brs_detr_r50_8xb2-12e_coco.py',
}


def load_golden(kind: str) -> dict:
    return json.loads((GOLDEN_DIR / f'{kind}.json').read_text())


def shrink(model_cfg):
    """Our released model config at the golden sizes (only sizes change)."""
    e = gi.EMBED_DIMS
    ffn = dict(embed_dims=e, feedforward_channels=gi.FFN_DIMS)
    model_cfg.backbone.update(depth=gi.RESNET_DEPTH, init_cfg=None)
    model_cfg.neck.update(in_channels=gi.RESNET_CHANNELS, out_channels=e)
    head = model_cfg.query_head
    head.update(num_query=gi.NUM_QUERY, max_pos_coords=gi.NUM_QUERY, embed_dims=e)
    head.positional_encoding.num_feats = e // 2
    enc, dec = head.transformer.encoder, head.transformer.decoder
    enc.num_layers, dec.num_layers = gi.NUM_ENC_LAYERS, gi.NUM_DEC_LAYERS
    enc.layer_cfg.self_attn_cfg.embed_dims = e
    enc.layer_cfg.ffn_cfg.update(ffn)
    dec.layer_cfg.self_attn_cfg.embed_dims = e
    dec.layer_cfg.cross_attn_cfg.embed_dims = e
    dec.layer_cfg.ffn_cfg.update(ffn)
    model_cfg.rpn_head.update(in_channels=e, feat_channels=e)
    roi = model_cfg.roi_head[0]
    roi.bbox_roi_extractor.out_channels = e
    roi.bbox_head.update(in_channels=e, fc_out_channels=gi.ROI_FC_DIMS)
    model_cfg.bbox_head[0].update(in_channels=e, feat_channels=e)
    return model_cfg


def build_model(kind: str, golden: dict, cfg_options: Optional[dict] = None):
    """Our model of ``kind`` at the golden sizes with the recipe weights (strict load);
    ``cfg_options`` (mmengine ``key=value`` edits) change our config before it is shrunk."""
    import projects.models  # noqa: F401  (registers the Co-DETR modules)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmdet.registry import MODELS

    init_default_scope('mmdet')
    cfg = Config.fromfile(str(REPO_ROOT / OUR_CONFIGS[kind]))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model = MODELS.build(shrink(copy.deepcopy(cfg.model)))
    official = gi.recipe_state_dict(golden['state_dict'])
    converted, report = convert_state_dict(official, target=model.state_dict())
    if not report.ok:
        raise ValueError(f'golden {kind} weights do not map onto our model:\n{report.summary()}')
    model.load_state_dict(converted, strict=True)
    return model


def _data_sample(sample: dict, with_gt: bool):
    from mmengine.structures import InstanceData
    from mmdet.structures import DetDataSample

    h, w = sample['img_shape']
    ds = DetDataSample(metainfo=dict(
        img_shape=(h, w), pad_shape=(h, w), batch_input_shape=(h, w),
        ori_shape=tuple(sample['ori_shape']), scale_factor=tuple(sample['scale_factor'])))
    if with_gt:
        ds.gt_instances = InstanceData(bboxes=sample['boxes'].clone(),
                                       labels=sample['labels'].clone())
    return ds


def _detections(bboxes, scores, labels) -> dict:
    order = scores.argsort(descending=True, stable=True)[:gi.TOP_K_DETECTIONS]
    return dict(boxes=bboxes[order].tolist(), scores=scores[order].tolist(),
                labels=labels[order].tolist())


def run_model(model, sample: dict) -> dict:
    """Losses, per-group gradient norms and detections of our model (golden-file layout)."""
    img = sample['img']
    model.train()
    with gi.deterministic_randperm():
        raw = model.loss(img, [_data_sample(sample, True)])
    losses, total = {}, 0.0
    for key, value in raw.items():
        value = sum(value) if isinstance(value, (list, tuple)) else value
        losses[key] = float(value.detach())
        if 'loss' in key:
            total = total + value
    model.zero_grad()
    total.backward()
    norms = gi.grad_norms((n, p.grad) for n, p in model.named_parameters() if p.requires_grad)

    model.eval()
    with torch.no_grad():
        samples = [_data_sample(sample, False)]
        x = model.extract_feat(img)
        det = model.query_head.predict(x, samples, rescale=False)[0]
        memory = model.query_head(x, [s.metainfo for s in samples])[-1]
        proposals = model.rpn_head.predict(memory, samples, rescale=False)
        roi = model.roi_head[0].predict(memory, proposals, samples, rescale=False)[0]
    return dict(losses=losses, total_loss=float(total.detach()), grad_norms=norms,
                detections=dict(detr=_detections(det.bboxes, det.scores, det.labels),
                                two_stage=_detections(roi.bboxes, roi.scores, roi.labels)))


def run_ours(kind: str, demo_root: Path,
             cfg_options: Optional[dict] = None) -> Tuple[dict, dict, dict]:
    """(golden, ours, input) for ``kind``; raises if our input is not the golden input."""
    golden = load_golden(kind)
    sample = gi.load_input(Path(demo_root) / 'images', Path(demo_root) / 'annotations.json')
    for key in ('photo_sha256', 'resized_sha256'):
        if sample[key] != golden['input'][key]:
            raise ValueError(f'golden input mismatch ({key}): the demo photo {gi.IMAGE_FILE} '
                             'decodes or resizes differently here than in the oracle env')
    torch.manual_seed(0)
    model = build_model(kind, golden, cfg_options)
    return golden, run_model(model, sample), sample


def official_losses(golden: dict) -> Dict[str, float]:
    """The golden loss keys in our names. The authors' ranking losses report their ranking and
    sorting halves apart (``loss_rank`` / ``loss_sort``, RoI head ``loss_roi_*``); ours report the
    sum, Eq. 3.5 (``loss_cls``, RPN ``loss_rpn_cls``). Other keys are the same on both sides."""
    losses = golden['losses']
    out = {}
    for key, value in losses.items():
        ours = key.replace('loss_roi_', 'loss_')
        if '_sort' in key:
            continue
        if '_rank' in key:
            value = value + losses[key.replace('_rank', '_sort')]
            ours = ours.replace('_rank', '_cls')
        out[ours] = value
    return out


def relative(a: float, b: float) -> float:
    """|a - b| relative to the golden value (absolute where the golden value is 0)."""
    return abs(a - b) / (abs(b) if b != 0 else 1.0)


def table(golden: dict, ours: dict) -> List[Tuple[str, str, float, float, float]]:
    """(kind, name, ours, golden, relative difference) for every loss key and gradient group.
    A key on one side only shows NaN for the other side."""
    rows = []
    official = dict(losses=official_losses(golden), grad_norms=golden['grad_norms'])
    for section, gold in official.items():
        keys = list(gold) + [k for k in ours[section] if k not in gold]
        for key in keys:
            a, b = ours[section].get(key, math.nan), gold.get(key, math.nan)
            rows.append((section, key, a, b, relative(a, b)))
    return rows


def detection_differences(golden: dict, ours: dict) -> Dict[str, Dict[str, float]]:
    """Per eval path: max |box| and |score| difference and the number of differing labels."""
    out = {}
    for path, gold in golden['detections'].items():
        mine = ours['detections'][path]
        if len(mine['scores']) != len(gold['scores']):
            out[path] = dict(count=len(mine['scores']), golden_count=len(gold['scores']))
            continue
        boxes = (torch.tensor(mine['boxes']) - torch.tensor(gold['boxes'])).abs()
        scores = (torch.tensor(mine['scores']) - torch.tensor(gold['scores'])).abs()
        out[path] = dict(max_box=float(boxes.max()) if boxes.numel() else 0.0,
                         max_score=float(scores.max()) if scores.numel() else 0.0,
                         labels_differ=sum(a != b for a, b in zip(mine['labels'], gold['labels'])))
    return out


def unmatched_detections(gold: dict, mine: dict, box_atol: float,
                         score_atol: float) -> Tuple[int, int]:
    """(official, ours) detections of one eval path with no counterpart on the other side: same
    label, box within ``box_atol`` px, score within ``score_atol``. Order is free (near-tied scores
    may swap), and a detection scoring within ``score_atol`` of its list's lowest score may be
    missing from the other list (it can fall either side of the top-k cut)."""
    def tensors(d):
        return (torch.tensor(d['boxes']).view(-1, 4), torch.tensor(d['scores']),
                torch.tensor(d['labels']))

    (gb, gs, gl), (ob, os_, ol) = tensors(gold), tensors(mine)
    close = ((gl[:, None] == ol[None]) & (gs[:, None] - os_[None]).abs().le(score_atol)
             & (gb[:, None] - ob[None]).abs().amax(-1).le(box_atol))

    def missing(matched, scores):
        if scores.numel() == 0:
            return 0
        return int((~matched & (scores > scores.min() + score_atol)).sum())

    return missing(close.any(1), gs), missing(close.any(0), os_)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('kind', choices=sorted(OUR_CONFIGS))
    parser.add_argument('--demo-root', type=Path, default=REPO_ROOT / 'data' / 'demo_coco')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='edits of our config to try against the golden numbers, e.g. '
                             'model.train_cfg.1.rpn_proposal.min_bbox_size=-1')
    args = parser.parse_args(argv)
    from brs_detr.data.demo_dataset import prepare_demo_dataset

    golden, ours, _ = run_ours(args.kind, prepare_demo_dataset(args.demo_root), args.cfg_options)
    print(f'{"":10} {"key":28} {"ours":>14} {"official":>14} {"rel. diff":>10}')
    for section, key, a, b, rel in table(golden, ours):
        print(f'{section:10} {key:28} {a:14.7g} {b:14.7g} {rel:10.2e}')
    for path, diff in detection_differences(golden, ours).items():
        print(f'detections {path}: {diff}')


if __name__ == '__main__':
    main()
