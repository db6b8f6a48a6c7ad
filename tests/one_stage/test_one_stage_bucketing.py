"""The bucketing theorem (thesis Sec. 3.4) at the level of each one-stage head: on a demo batch,
the head's bucketed and unbucketed losses give the same gradients on its outputs when delta is
below the closest positive-negative logit gap, and different ones at the configured delta."""
import copy

import pytest
import torch
from mmengine.dataset import pseudo_collate

from one_stage_configs import load, tiny_variant
from tiny_model import build_model

CASES = [('atss', 'brs'), ('atss', 'bap'), ('paa', 'brs'), ('paa', 'bap'), ('retinanet', 'brs')]


class RecordingLoss(torch.nn.Module):
    """Wraps a ranking loss and keeps each (logits, targets) problem it is given."""

    def __init__(self, loss):
        super().__init__()
        self.loss, self.problems = loss, []

    def forward(self, logits, targets):
        self.problems.append((logits.detach(), targets.detach()))
        return self.loss(logits, targets)


def _closest_gap(logits, targets):
    """min |s_i - s_j| over positives i and negatives j."""
    negatives = logits[targets == 0].sort().values
    positives = logits[targets > 0]
    above = torch.searchsorted(negatives, positives).clamp(max=negatives.numel() - 1)
    below = (above - 1).clamp(min=0)
    return torch.minimum((negatives[above] - positives).abs(),
                         (negatives[below] - positives).abs()).min().item()


def _head_and_outputs(family, loss, demo_coco):
    """The tiny detector's head and its outputs on the first two demo photos, in float64 with a
    1e-7 jitter: float32 logits near the prior bias tie by chance, and the theorem assumes no
    ties (Eq. 3.43)."""
    from mmdet.registry import DATASETS
    cfg = tiny_variant(load(family, loss), demo_coco)
    model = build_model(cfg)
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    data = model.data_preprocessor(pseudo_collate([train_set[i] for i in range(2)]), True)
    with torch.no_grad():
        outs = model.bbox_head(model.extract_feat(data['inputs']))
    generator = torch.Generator().manual_seed(0)
    cls_scores = [s.double() + 1e-7 * torch.randn(s.shape, generator=generator,
                                                  dtype=torch.float64) for s in outs[0]]
    outs = (cls_scores, [b.double() for b in outs[1]], *outs[2:])
    gts = [sample.gt_instances for sample in data['data_samples']]
    metas = [sample.metainfo for sample in data['data_samples']]
    return model.bbox_head, outs, gts, metas


def _gradients(head, outs, gts, metas, bucketed, delta):
    """Gradients of the head's total loss on its class logits and box deltas."""
    head = copy.deepcopy(head)
    head.loss_cls.bucketed, head.loss_cls.delta = bucketed, delta
    head.loss_cls = RecordingLoss(head.loss_cls)
    cls_scores = [s.clone().requires_grad_() for s in outs[0]]
    bbox_preds = [b.clone().requires_grad_() for b in outs[1]]
    losses = head.loss_by_feat(cls_scores, bbox_preds, *outs[2:], gts, metas)
    sum(losses.values()).backward()
    (problem, ) = head.loss_cls.problems
    return (torch.cat([s.grad.flatten() for s in cls_scores]),
            torch.cat([b.grad.flatten() for b in bbox_preds]), problem)


@pytest.mark.parametrize('family, loss', CASES)
def test_bucketed_and_unbucketed_head_gradients_agree_below_the_closest_gap(family, loss,
                                                                           demo_coco):
    head, outs, gts, metas = _head_and_outputs(family, loss, demo_coco)
    configured = head.loss_cls.delta
    _, _, (logits, targets) = _gradients(head, outs, gts, metas, True, configured)
    assert (targets > 0).sum() > 0
    delta = 0.5 * _closest_gap(logits, targets)
    assert delta > 0
    cls_b, box_b, _ = _gradients(head, outs, gts, metas, True, delta)
    cls_u, box_u, _ = _gradients(head, outs, gts, metas, False, delta)
    assert cls_b.abs().sum() > 0 and box_b.abs().sum() > 0
    assert torch.allclose(cls_b, cls_u, rtol=1e-9, atol=1e-15)
    assert torch.allclose(box_b, box_u, rtol=1e-9, atol=1e-15)
    # control: at the configured delta logits fall within delta of positives, and bucketing
    # changes the gradient
    cls_b, _, _ = _gradients(head, outs, gts, metas, True, configured)
    cls_u, _, _ = _gradients(head, outs, gts, metas, False, configured)
    assert not torch.allclose(cls_b, cls_u, rtol=1e-5, atol=1e-9)
