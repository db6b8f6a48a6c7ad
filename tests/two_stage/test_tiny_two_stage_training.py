"""Tiny BRS Faster, Cascade and Mask R-CNN (the real configs' heads on a small backbone) train on
the demo images: finite losses with an image without ground truth, zero losses (not a crash) when a
batch yields no RoI, and the self-balanced losses take the ranking losses' values."""
import copy

import pytest
import torch
from mmengine.config import Config

from tiny_rcnn import build_tiny

CONFIGS = {
    'faster': 'configs/faster_rcnn/faster-rcnn_r50_fpn_brs_4xb4-12e_coco.py',
    'cascade': 'configs/cascade_rcnn/cascade-rcnn_r50_fpn_brs_4xb4-12e_coco.py',
    'mask': 'configs/mask_rcnn/mask-rcnn_r50_fpn_brs_4xb4-12e_coco.py',
}


def without_gt(batch, images):
    """``batch`` with the ground truth of the given images removed."""
    batch = copy.deepcopy(batch)
    for i in images:
        sample = batch['data_samples'][i]
        sample.gt_instances = sample.gt_instances[torch.zeros(0, dtype=torch.long)]
    return batch


def train_steps(model, batch, steps, lr=0.01):
    optim = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = []
    for _ in range(steps):
        losses = model(**model.data_preprocessor(batch, True), mode='loss')
        total, _ = model.parse_losses(losses)
        optim.zero_grad()
        total.backward()
        optim.step()
        history.append({k: v.detach() for k, v in losses.items()})
    return history


@pytest.mark.parametrize('name', list(CONFIGS))
def test_trains_with_an_image_without_ground_truth(name, repo_root, demo_batch):
    model = build_tiny(Config.fromfile(repo_root / CONFIGS[name]))
    batch = without_gt(demo_batch, images=[1])
    history = train_steps(model, batch, steps=2)
    for losses in history:
        assert all(torch.isfinite(v).all() for v in losses.values()), losses
    losses = history[0]
    cls_keys = sorted(k for k in losses if k.endswith('loss_cls') and 'rpn' not in k)
    assert len(cls_keys) == (3 if name == 'cascade' else 1)
    for key in cls_keys:
        assert losses[key] > 0
        # self-balancing: the box loss takes the ranking loss' value (Eq. 3.56)
        assert torch.isclose(losses[key.replace('loss_cls', 'loss_bbox')], losses[key])
    assert torch.isclose(losses['loss_rpn_bbox'], losses['loss_rpn_cls'])
    if name == 'mask':
        assert torch.isclose(losses['loss_mask'], losses['loss_cls'])


@pytest.mark.parametrize('name', list(CONFIGS))
def test_a_batch_without_rois_gives_zero_roi_losses(name, repo_root, demo_batch):
    """No ground truth and an RPN whose proposals are all filtered out (min_bbox_size): the RoI
    heads get zero RoIs and must return zero losses that still backpropagate."""
    cfg = Config.fromfile(repo_root / CONFIGS[name])
    cfg.model.train_cfg.rpn_proposal.min_bbox_size = 1e5
    model = build_tiny(cfg)
    batch = without_gt(demo_batch, images=range(len(demo_batch['data_samples'])))
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    roi_losses = {k: v for k, v in losses.items() if 'rpn' not in k and 'loss' in k}
    assert roi_losses and all(v.item() == 0 for v in roi_losses.values()), losses
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
