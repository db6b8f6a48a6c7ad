"""Golden numbers of the authors' RS / BRS Faster R-CNN: one training step of their mmdet 2.x code.

Runs in the oracle env of ``tools/oracle/README.md`` with the authors' tree
(blisgard/BucketedRankingBasedLosses) first on ``PYTHONPATH``; never imported by this repo's
package. Like ``make_golden.py`` for BRS-DETR it loads the released config (``RELEASED_CONFIGS``),
shrinks only sizes (ResNet-18, 64-channel FPN, RoI fc 256), fills every tensor from
``golden_inputs.seeded_tensor`` (output layers scaled, ``OUTPUT_SCALES``) and, on the demo photo,
runs one training forward/backward: every loss key, the summed loss and the L2 gradient norm per
module group. ``tests/two_stage/test_faster_rcnn_oracle.py`` rebuilds the same network from our
configs and compares.

    OR=/work/oracle/src/blisgard+BucketedRankingBasedLosses
    PYTHONPATH=$OR:/work/oracle/stubs /work/oracle/venv/bin/python \
        tools/oracle/golden_faster_rcnn.py brs --official-root $OR --demo-root data/demo_coco \
        --out tests/oracle/faster_rcnn_brs.json
"""
import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from golden_inputs import (EMBED_DIMS, IMAGE_FILE, RESNET_DEPTH, ROI_FC_DIMS,  # noqa: E402
                           deterministic_randperm, grad_norms, load_input, recipe_state_dict,
                           state_dict_shapes)
from make_golden import img_metas, official_commit, parse_losses  # noqa: E402

RELEASED_CONFIGS = {
    'brs': 'configs/bucketed_ranking_losses/bucketed_ranksort_loss_faster_rcnn_r50_fpn_1x_coco.py',
    'rs': 'configs/ranksort_loss/ranksort_loss_faster_rcnn_r50_fpn_1x_coco.py',
}
# ResNet-18's four stages (Faster R-CNN's FPN takes all four).
RESNET18_CHANNELS = [64, 128, 256, 512]
# The recipe's N(0, 2 / fan_in) kernels leave the FPN (no norm layer) with features in the
# hundreds; the output layers are scaled down to mmdet's initial output sizes (its heads draw them
# with std 0.01 / 0.001), so the first step's RPN deltas stay near their anchors and its scores
# overlap, as in a real first step: otherwise every RPN positive has IoU 0 and is dropped.
OUTPUT_SCALES = {
    'rpn_head.rpn_cls.weight': 1e-2,
    'rpn_head.rpn_reg.weight': 1e-2,
    'roi_head.bbox_head.fc_cls.weight': 1e-2,
    'roi_head.bbox_head.fc_reg.weight': 1e-3,
}


def golden_state_dict(shapes):
    """The recipe's tensors with the output layers scaled by ``OUTPUT_SCALES``."""
    state = recipe_state_dict(shapes)
    for name, scale in OUTPUT_SCALES.items():
        state[name] = state[name] * scale
    return state


def shrink(model_cfg):
    """The released Faster R-CNN config at the golden sizes (only sizes change)."""
    model_cfg.backbone.update(depth=RESNET_DEPTH, init_cfg=None)
    model_cfg.neck.update(in_channels=RESNET18_CHANNELS, out_channels=EMBED_DIMS)
    model_cfg.rpn_head.update(in_channels=EMBED_DIMS, feat_channels=EMBED_DIMS)
    model_cfg.roi_head.bbox_roi_extractor.out_channels = EMBED_DIMS
    model_cfg.roi_head.bbox_head.update(in_channels=EMBED_DIMS, fc_out_channels=ROI_FC_DIMS)
    return model_cfg


def run(kind: str, root: Path, demo_root: Path) -> dict:
    from mmcv import Config

    from mmdet.models import build_detector

    torch.Tensor.cuda = lambda self, *args, **kwargs: self  # the authors' losses call .cuda()
    cfg = Config.fromfile(str(root / RELEASED_CONFIGS[kind]))
    model = build_detector(shrink(cfg.model))
    shapes = state_dict_shapes(model.state_dict())
    model.load_state_dict(golden_state_dict(shapes), strict=True)
    sample = load_input(demo_root / 'images', demo_root / 'annotations.json')

    model.train()
    with deterministic_randperm():
        raw = model.forward_train(sample['img'], img_metas(sample), [sample['boxes']],
                                  [sample['labels']])
    losses, total = parse_losses(raw)
    model.zero_grad()
    total.backward()
    norms = grad_norms((n, p.grad) for n, p in model.named_parameters() if p.requires_grad)
    return dict(
        detector=f'{kind}_faster_rcnn',
        official_repo='blisgard/BucketedRankingBasedLosses',
        official_commit=official_commit(root),
        official_config=RELEASED_CONFIGS[kind],
        torch_version=torch.__version__,
        input=dict(image=IMAGE_FILE, photo_sha256=sample['photo_sha256'],
                   resized_sha256=sample['resized_sha256'], img_shape=list(sample['img_shape'])),
        losses=losses,
        total_loss=float(total),
        grad_norms=norms,
        state_dict=shapes,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('kind', choices=sorted(RELEASED_CONFIGS))
    parser.add_argument('--official-root', type=Path, required=True)
    parser.add_argument('--demo-root', type=Path, default=Path('data/demo_coco'))
    parser.add_argument('--out', type=Path, required=True)
    args = parser.parse_args(argv)
    golden = run(args.kind, args.official_root.resolve(), args.demo_root)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(golden, indent=1) + '\n')
    print(f'{args.out}: {golden["losses"]}, total {golden["total_loss"]:.6f}, '
          f'grad norms {golden["grad_norms"]}')


if __name__ == '__main__':
    main()
