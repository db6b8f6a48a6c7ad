"""Regenerate the oracle's golden numbers by running the OFFICIAL code (mmdet 2.x env only).

Runs in the separate env of ``tools/oracle/README.md`` with an official source tree first on
``PYTHONPATH``; never imported by this repo's package or its test env. For one detector it

1. loads the released R50 config from the official tree and shrinks only sizes (``shrink``):
   ResNet-18, 64-d transformer with 2 encoder + 2 decoder layers, 30 queries, FFN 128,
   RoI fc 256 -- every head, loss, weight, sampler and train/test setting stays as released;
2. fills every tensor from ``golden_inputs.seeded_tensor`` (seeded by its official name);
3. on the demo photo (``golden_inputs.load_input``): one training forward/backward (every loss
   key; L2 gradient norm per module group of the summed loss, as mmdet's ``parse_losses`` sums
   it) and two evaluations (query head, and RPN + RoI head);
4. writes JSON: official commit, config name, input hashes, (name, shape, dtype) of every tensor,
   losses, gradient norms, detections.

    PYTHONPATH=/path/to/Sense-X/Co-DETR:. python tools/oracle/make_golden.py co_detr \
        --official-root /path/to/Sense-X/Co-DETR --demo-root data/demo_coco \
        --out tests/oracle/golden/co_detr.json
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from golden_inputs import (EMBED_DIMS, FFN_DIMS, IMAGE_FILE, NUM_DEC_LAYERS,  # noqa: E402
                           NUM_ENC_LAYERS, NUM_QUERY, RESNET_CHANNELS, RESNET_DEPTH, ROI_FC_DIMS,
                           TOP_K_DETECTIONS, deterministic_randperm, grad_norms, load_input,
                           recipe_state_dict, state_dict_shapes)

# The released configs each detector's golden numbers come from (paths in the official trees).
RELEASED_CONFIGS = {
    'co_detr': 'projects/configs/co_deformable_detr/co_deformable_detr_r50_1x_coco.py',
    'brs_detr': ('projects/configs/co_deformable_detr/bucketed_co_deformable_detr_r50_1x_coco_'
                 'assigner_weight_4_step_10_11_divide5_fixed_seed_06092024.py'),
}
def shrink(model_cfg):
    """The released model config at the golden sizes (only sizes change)."""
    e = EMBED_DIMS
    model_cfg.backbone.update(depth=RESNET_DEPTH, init_cfg=None)
    model_cfg.neck.update(in_channels=RESNET_CHANNELS, out_channels=e)
    head = model_cfg.query_head
    head.update(num_query=NUM_QUERY, max_pos_coords=NUM_QUERY, in_channels=RESNET_CHANNELS[-1])
    head.positional_encoding.num_feats = e // 2
    enc, dec = head.transformer.encoder, head.transformer.decoder
    enc.num_layers, dec.num_layers = NUM_ENC_LAYERS, NUM_DEC_LAYERS
    enc.transformerlayers.attn_cfgs.embed_dims = e
    for attn in dec.transformerlayers.attn_cfgs:
        attn.embed_dims = e
    for layer in (enc.transformerlayers, dec.transformerlayers):
        # mmcv 1.x's FFN is 256-d unless ffn_cfgs says otherwise (the released configs only
        # set the deprecated feedforward_channels / ffn_dropout, which still apply on top).
        layer.feedforward_channels = FFN_DIMS
        layer.ffn_cfgs = dict(type='FFN', embed_dims=e, feedforward_channels=FFN_DIMS, num_fcs=2,
                              ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True))
    model_cfg.rpn_head.update(in_channels=e, feat_channels=e)
    roi = model_cfg.roi_head[0]
    roi.bbox_roi_extractor.out_channels = e
    roi.bbox_head.update(in_channels=e, fc_out_channels=ROI_FC_DIMS)
    model_cfg.bbox_head[0].update(in_channels=e, feat_channels=e)
    return model_cfg


def official_commit(root: Path) -> str:
    marker = root / 'OFFICIAL_COMMIT'
    if marker.is_file():
        return marker.read_text().strip()
    return subprocess.run(['git', '-C', str(root), 'rev-parse', 'HEAD'], capture_output=True,
                          text=True, check=True).stdout.strip()


def build_official(kind: str, root: Path):
    from mmcv import Config

    import projects.models  # noqa: F401  (registers the official heads)
    from mmdet.models import build_detector

    cfg = Config.fromfile(str(root / RELEASED_CONFIGS[kind]))
    rpn_test = cfg.model.test_cfg[1].rpn
    if kind == 'brs_detr':
        # The authors' RPN reads nms_thr / nms_post at test time, which their released test_cfg
        # lacks (its two-stage evaluation raises as released): the values the test_cfg states.
        rpn_test.update(nms_thr=rpn_test.nms.iou_threshold, nms_post=rpn_test.max_per_img)
    model = build_detector(shrink(cfg.model))
    state = model.state_dict()
    model.load_state_dict(recipe_state_dict(state_dict_shapes(state)), strict=True)
    return model, state_dict_shapes(state)


def img_metas(sample):
    h, w = sample['img_shape']
    sx, sy = sample['scale_factor']
    return [dict(img_shape=(h, w, 3), pad_shape=(h, w, 3), batch_input_shape=(h, w),
                 ori_shape=(*sample['ori_shape'], 3), scale_factor=[sx, sy, sx, sy],
                 flip=False)]


def parse_losses(losses):
    """Every loss key as a float, and the summed loss mmdet 2.x backpropagates."""
    values, total = {}, 0.0
    for key, value in losses.items():
        value = sum(value) if isinstance(value, (list, tuple)) else value
        values[key] = float(value.detach())
        if 'loss' in key:
            total = total + value
    return values, total


def detections(bboxes, labels):
    """Top detections by score: boxes (x1y1x2y2, input pixels), scores, labels."""
    order = bboxes[:, 4].argsort(descending=True, stable=True)[:TOP_K_DETECTIONS]
    return dict(boxes=bboxes[order, :4].tolist(), scores=bboxes[order, 4].tolist(),
                labels=labels[order].tolist())


def run(kind: str, root: Path, demo_root: Path) -> dict:
    torch.Tensor.cuda = lambda self, *args, **kwargs: self  # the authors' losses call .cuda()
    model, shapes = build_official(kind, root)
    sample = load_input(demo_root / 'images', demo_root / 'annotations.json')
    img = sample['img']

    model.train()
    with deterministic_randperm():
        raw = model.forward_train(img, img_metas(sample), [sample['boxes']], [sample['labels']])
    losses, total = parse_losses(raw)
    model.zero_grad()
    total.backward()
    norms = grad_norms((n, p.grad) for n, p in model.named_parameters() if p.requires_grad)

    model.eval()
    with torch.no_grad():
        metas = img_metas(sample)
        x = model.extract_feat(img, metas)
        (det_bboxes, det_labels), = model.query_head.simple_test(x, metas, rescale=False)
        memory = model.query_head(x, metas)[-1]
        proposals = model.rpn_head.simple_test_rpn(memory, metas)
        roi = model.roi_head[0]
        (roi_bboxes, ), (roi_labels, ) = roi.simple_test_bboxes(memory, metas, proposals,
                                                                roi.test_cfg, rescale=False)
    return dict(
        detector=kind,
        official_repo={'co_detr': 'Sense-X/Co-DETR',
                       'brs_detr': 'blisgard/BucketedRankingBasedLosses'}[kind],
        official_commit=official_commit(root),
        official_config=RELEASED_CONFIGS[kind],
        torch_version=torch.__version__,
        input=dict(image=IMAGE_FILE, photo_sha256=sample['photo_sha256'],
                   resized_sha256=sample['resized_sha256'], img_shape=list(sample['img_shape'])),
        losses=losses,
        total_loss=float(total.detach()),
        grad_norms=norms,
        detections=dict(detr=detections(det_bboxes, det_labels),
                        two_stage=detections(roi_bboxes, roi_labels)),
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
    print(f'{args.out}: {len(golden["losses"])} loss keys, total {golden["total_loss"]:.6f}')


if __name__ == '__main__':
    main()
