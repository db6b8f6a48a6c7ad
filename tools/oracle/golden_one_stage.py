"""Golden losses and gradients of the authors' RS/BRS/BAP ATSS and PAA heads on one training step.

Runs the thesis authors' ``RankBasedATSSHead`` and ``RankBasedPAAHead`` (blisgard/
BucketedRankingBasedLosses, mmdet 2.25) in the oracle env of ``tools/oracle/README.md`` (PAA's GMM
also needs scikit-learn on ``PYTHONPATH``); never imported by this repo's package. Each head sees
fixed outputs (``head_inputs``: seeded logits and box deltas on two 96 x 128 images, 5 FPN levels,
3 anchors per location, 4 classes) and fixed ground truth (``GROUND_TRUTH``), set up as the released
configs set it (ATSS: ATSS assigner top-9; PAA: max-IoU 0.1 assigner, GMM on Focal Loss + GIoU
scores; both GIoU on decoded boxes, ``reduction='none'``). Stored: every loss, and the gradient of
their sum on the logits and on the deltas. ``tests/one_stage/test_one_stage_oracle.py`` feeds the
same inputs to our ``BRSATSSHead`` / ``BRSPAAHead``.

    OR=/work/oracle/src/blisgard+BucketedRankingBasedLosses
    PYTHONPATH=$OR:/work/oracle/stubs:SKLEARN_DIR /work/oracle/venv/bin/python \
        tools/oracle/golden_one_stage.py --official-root $OR --out-dir tests/oracle
"""
import argparse
import hashlib
import json
from pathlib import Path

import torch

NUM_CLASSES = 4
IMAGE_SHAPE = (96, 128)  # (h, w) of both images, unpadded
FEATMAP_SIZES = [(12, 16), (6, 8), (3, 4), (2, 2), (1, 1)]  # strides 8 ... 128
STRIDES = (8, 16, 32, 64, 128)
ANCHORS_PER_LOCATION = 3  # octave_base_scale 4, scales_per_octave 3 (the released configs)
GROUND_TRUTH = [
    dict(bboxes=[[10., 12., 60., 70.], [70., 20., 120., 90.], [30., 40., 50., 58.]],
         labels=[0, 2, 1]),
    dict(bboxes=[[5., 5., 100., 90.], [60., 10., 90., 40.]], labels=[3, 0]),
]
# the authors' rank_loss_type of each golden file
LOSS_TYPES = {'brs': 'BucketedRankSort', 'rs': 'RankSort', 'bap': 'BucketedAPLoss'}
HEAD_SETTINGS = dict(
    num_classes=NUM_CLASSES,
    in_channels=32,
    stacked_convs=1,
    feat_channels=32,
    anchor_generator=dict(type='AnchorGenerator', ratios=[1.0], octave_base_scale=4,
                          scales_per_octave=3, strides=list(STRIDES)),
    bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                    target_stds=[0.1, 0.1, 0.2, 0.2]))
# per head: the authors' head, its own settings and its train_cfg in their released configs
DETECTORS = {
    'atss': ('RankBasedATSSHead', dict(),
             dict(assigner=dict(type='ATSSAssigner', topk=9), allowed_border=-1, pos_weight=-1,
                  debug=False)),
    'paa': ('RankBasedPAAHead',
            dict(reg_decoded_bbox=True, score_voting=True, topk=9,
                 loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                               loss_weight=1.0)),
            dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.1, neg_iou_thr=0.1,
                               min_pos_iou=0, ignore_iof_thr=-1),
                 allowed_border=-1, pos_weight=-1, debug=False)),
}


def head_inputs():
    """(cls_scores, bbox_preds) per level, (2, A * C | A * 4, h, w), from a seeded generator;
    logits around the usual prior bias, so positives and negatives interleave."""
    generator = torch.Generator().manual_seed(0)
    cls_scores = [torch.randn(2, ANCHORS_PER_LOCATION * NUM_CLASSES, h, w,
                              generator=generator) * 1.5 - 3.0 for h, w in FEATMAP_SIZES]
    bbox_preds = [torch.randn(2, ANCHORS_PER_LOCATION * 4, h, w, generator=generator) * 0.3
                  for h, w in FEATMAP_SIZES]
    return cls_scores, bbox_preds


def inputs_sha256(cls_scores, bbox_preds):
    digest = hashlib.sha256()
    for tensor in (*cls_scores, *bbox_preds):
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()


def img_metas():
    h, w = IMAGE_SHAPE
    return [dict(img_shape=(h, w, 3), pad_shape=(h, w, 3)) for _ in GROUND_TRUTH]


def flat_values(grads):
    """The levels' gradients flattened in order, each float32 value to 9 significant digits
    (enough to recover it exactly)."""
    return [float(f'{value:.9g}') for value in torch.cat([g.flatten() for g in grads]).tolist()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--official-root', required=True)
    parser.add_argument('--out-dir', required=True)
    args = parser.parse_args()
    from mmcv import ConfigDict
    from mmdet.models import build_head

    torch.Tensor.cuda = lambda self, *a, **k: self  # the authors' losses call .cuda()
    commit = (Path(args.official_root) / 'OFFICIAL_COMMIT').read_text().strip()
    for detector, (head_type, head_settings, train_settings) in DETECTORS.items():
        for name, loss_type in LOSS_TYPES.items():
            head = build_head(dict(type=head_type, **HEAD_SETTINGS, **head_settings,
                                   loss_bbox=dict(type='GIoULoss', reduction='none'),
                                   rank_loss_type=loss_type,
                                   train_cfg=ConfigDict(train_settings)))
            cls_scores, bbox_preds = head_inputs()
            cls_scores = [s.requires_grad_() for s in cls_scores]
            bbox_preds = [b.requires_grad_() for b in bbox_preds]
            losses = head.loss(cls_scores, bbox_preds,
                               [torch.tensor(gt['bboxes']) for gt in GROUND_TRUTH],
                               [torch.tensor(gt['labels']) for gt in GROUND_TRUTH], img_metas())
            sum(losses.values()).backward()
            golden = dict(
                official_repository='blisgard/BucketedRankingBasedLosses', official_commit=commit,
                head=head_type, rank_loss_type=loss_type,
                inputs_sha256=inputs_sha256(*head_inputs()),
                losses={key: value.item() for key, value in losses.items()},
                grad_cls_scores=flat_values([s.grad for s in cls_scores]),
                grad_bbox_preds=flat_values([b.grad for b in bbox_preds]))
            out = Path(args.out_dir) / f'{detector}_{name}.json'
            out.write_text(json.dumps(golden) + '\n')
            print(out, golden['losses'])


if __name__ == '__main__':
    main()
