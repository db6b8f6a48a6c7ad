"""The 1,203-class LVIS RoI head ranks a realistic batch -- 1,000 RoIs x 1,203 classes, 1.2M logits,
with 100 positives -- correctly: one flat problem with the positives' IoU targets, and the BRS
gradient equal to RS Loss' at small delta. Its time is printed (run with -s), not asserted."""
import time

import torch

from mmdet.registry import MODELS

NUM_CLASSES, NUM_ROIS, NUM_POS = 1203, 1000, 100


def _lvis_roi_batch(generator):
    """RoIs with LVIS-like class-wise logits: mostly very negative (sigmoid prior), positives
    spread above them, each positive assigned to a random class and a box it overlaps."""
    xy = torch.rand(NUM_ROIS, 2, generator=generator) * 600
    wh = torch.rand(NUM_ROIS, 2, generator=generator) * 200 + 20
    rois = torch.cat([torch.zeros(NUM_ROIS, 1), xy, xy + wh], dim=1)
    labels = torch.full((NUM_ROIS, ), NUM_CLASSES)
    labels[:NUM_POS] = torch.randint(NUM_CLASSES, (NUM_POS, ), generator=generator)
    targets = rois[:, 1:] + 0.1 * wh.repeat(1, 2) * torch.randn(NUM_ROIS, 4, generator=generator)
    cls_score = torch.randn(NUM_ROIS, NUM_CLASSES, generator=generator, dtype=torch.float64) - 4.6
    cls_score[torch.arange(NUM_POS), labels[:NUM_POS]] += 3.0
    bbox_pred = torch.randn(NUM_ROIS, 4, generator=generator, dtype=torch.float64) * 0.1
    return cls_score, bbox_pred, rois.double(), labels, targets.double()


def _head(bucketed, delta):
    return MODELS.build(dict(
        type='BRSShared2FCBBoxHead', in_channels=4, fc_out_channels=8, roi_feat_size=2,
        num_classes=NUM_CLASSES, reg_class_agnostic=True, reg_decoded_bbox=True,
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                        target_stds=[0.1, 0.1, 0.2, 0.2]),
        loss_cls=dict(type='RankSortLoss', bucketed=bucketed, delta=delta),
        loss_bbox=dict(type='GIoULoss'), zero_iou_negative=True))


def _loss_and_grad(head, inputs):
    cls_score, bbox_pred, rois, labels, targets = inputs
    cls_score = cls_score.clone().requires_grad_()
    problems = []
    hook = head.loss_cls.register_forward_hook(
        lambda module, args, out: problems.append(args))
    start = time.perf_counter()
    losses = head.loss(cls_score, bbox_pred, rois, labels, torch.ones(NUM_ROIS), targets,
                       torch.ones(NUM_ROIS, 4))
    losses['loss_cls'].backward()
    seconds = time.perf_counter() - start
    hook.remove()
    return losses['loss_cls'].detach(), cls_score.grad, problems[0], seconds


def test_lvis_head_ranks_1203_classes():
    inputs = _lvis_roi_batch(torch.Generator().manual_seed(0))
    _loss_and_grad(_head(True, 0.5), inputs)  # warm-up
    loss, grad, (logits, targets), seconds = _loss_and_grad(_head(True, 0.5), inputs)
    rs_loss, _, _, rs_seconds = _loss_and_grad(_head(False, 0.5), inputs)
    print(f'\nLVIS RoI head, {logits.numel():,} logits, {int((targets > 0).sum())} positives, '
          f'delta 0.5: loss + backward BRS {seconds * 1e3:.1f} ms, RS {rs_seconds * 1e3:.1f} ms')
    assert logits.numel() == NUM_ROIS * NUM_CLASSES
    assert int((targets > 0).sum()) == NUM_POS and torch.isfinite(loss) and loss > 0
    assert grad.shape == (NUM_ROIS, NUM_CLASSES) and torch.isfinite(grad).all()
    # ranking-error gradients balance: what the positives gain the negatives lose (Eq. 3.9)
    assert abs(float(grad.sum())) < 1e-6 * float(grad.abs().sum())

    positives = targets > 0
    negatives = logits[~positives].sort().values
    right = torch.searchsorted(negatives, logits[positives]).clamp(max=negatives.numel() - 1)
    gap = torch.minimum((negatives[right] - logits[positives]).abs(),
                        (negatives[(right - 1).clamp(min=0)] - logits[positives]).abs()).min()
    delta = 0.5 * float(gap)
    _, brs_grad, _, brs_seconds = _loss_and_grad(_head(True, delta), inputs)
    _, rs_grad, _, rs_seconds = _loss_and_grad(_head(False, delta), inputs)
    print(f'at delta {delta:.2e}: BRS {brs_seconds * 1e3:.1f} ms, RS {rs_seconds * 1e3:.1f} ms')
    assert brs_grad.abs().sum() > 0
    assert torch.allclose(brs_grad, rs_grad, rtol=1e-9, atol=1e-15)
