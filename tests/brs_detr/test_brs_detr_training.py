"""Tiny BRS-DETR on real images: it overfits the demo set, and BRS-DETR and RS-DETR give the same
gradients where the theorem of Sec. 3.4 says they must."""
import copy
import time

import torch
from mmengine.runner import Runner

from brs_detr.models import RankSortLoss
from recording_loss import record_ranking_problems
from tiny_model import build_model

OVERFIT_ITERS = 100


def test_tiny_brs_detr_overfits_the_demo_images(brs_tiny_cfg, tmp_path):
    """The tiny config as is (lr 1e-3), but a shorter run: OVERFIT_ITERS iterations of 2 images at
    constant lr instead of its 60 epochs; then COCO AP50 on the same 3 images."""
    cfg = copy.deepcopy(brs_tiny_cfg)
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=OVERFIT_ITERS,
                         val_interval=OVERFIT_ITERS + 1)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=OVERFIT_ITERS + 1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=20)
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    seconds = time.perf_counter() - start
    metrics = runner.val()
    print(f'tiny BRS-DETR: {OVERFIT_ITERS} iterations in {seconds:.0f} s, '
          f'AP50 {metrics["coco/bbox_mAP_50"]:.3f}, AP {metrics["coco/bbox_mAP"]:.3f}')
    assert metrics['coco/bbox_mAP_50'] >= 0.5


def _ranking_problems(model, batch, seed):
    """Every (logits, targets) the model's ranking losses see in one training step on ``batch``."""
    recorders = record_ranking_problems(model)
    torch.manual_seed(seed)  # the aux queries are a random subset of each aux head's positives
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    model(**data, mode='loss')
    return recorders, [problem for rec in recorders for problem in rec.problems]


def _closest_negative_to_a_positive(logits, targets):
    """min |s_i - s_j| over positives i and negatives j."""
    negatives = logits[targets == 0].sort().values
    positives = logits[targets > 0]
    above = torch.searchsorted(negatives, positives).clamp(max=negatives.numel() - 1)
    below = (above - 1).clamp(min=0)
    return torch.minimum((negatives[above] - positives).abs(),
                         (negatives[below] - positives).abs()).min()


def _logit_grad(loss, logits, targets):
    leaf = logits.clone().requires_grad_()
    loss(leaf, targets).backward()
    return leaf.grad


def test_brs_and_rs_gradients_agree_when_no_logit_is_within_delta(brs_tiny_cfg, demo_batch):
    """Theorem (Sec. 3.4): when no logit lies within delta of a positive, Bucketed RS Loss gives
    RS Loss' gradient. BRS-DETR and RS-DETR with the same weights build the same ranking problems
    on the same batch; on each, the BRS-DETR head's loss and the RS-DETR head's loss give the same
    gradient once delta is below the closest positive-negative pair. The theorem assumes no exact
    ties (Eq. 3.43); tens of thousands of float32 logits near the prior bias do tie by chance, so
    the check runs in float64 with a 1e-7 jitter (below float32 resolution at these logits)."""
    rs_cfg = copy.deepcopy(brs_tiny_cfg)
    for head in (rs_cfg.model.query_head, rs_cfg.model.rpn_head,
                 rs_cfg.model.roi_head[0].bbox_head, rs_cfg.model.bbox_head[0]):
        head.loss_cls.bucketed = False
    brs, rs = build_model(brs_tiny_cfg), build_model(rs_cfg)
    rs.load_state_dict(brs.state_dict())
    brs_losses, brs_problems = _ranking_problems(brs, demo_batch, seed=1)
    rs_losses, rs_problems = _ranking_problems(rs, demo_batch, seed=1)
    assert [loss.bucketed for loss in brs_losses] == [True] * 4
    assert [loss.bucketed for loss in rs_losses] == [False] * 4
    assert len(brs_problems) == len(rs_problems) == 10  # every classification loss of the step
    generator = torch.Generator().manual_seed(0)
    for (logits, targets), (rs_logits, rs_targets) in zip(brs_problems, rs_problems):
        assert torch.equal(logits, rs_logits) and torch.equal(targets, rs_targets)
        logits = logits.double() + 1e-7 * torch.randn(
            logits.shape, generator=generator, dtype=torch.float64)
        targets = targets.double()
        delta = 0.5 * float(_closest_negative_to_a_positive(logits, targets))
        assert delta > 0
        brs_grad = _logit_grad(RankSortLoss(delta=delta, bucketed=True), logits, targets)
        rs_grad = _logit_grad(RankSortLoss(delta=delta, bucketed=False), logits, targets)
        assert brs_grad.abs().sum() > 0
        assert torch.allclose(brs_grad, rs_grad, rtol=1e-9, atol=1e-15)


def test_at_the_default_delta_brs_differs_from_rs(brs_tiny_cfg, demo_batch):
    """Control for the theorem test: at delta = 0.5 logits do fall within delta of positives, and
    bucketing then changes the gradient, so the agreement above is not vacuous."""
    _, problems = _ranking_problems(build_model(brs_tiny_cfg), demo_batch, seed=1)
    assert any(
        not torch.allclose(_logit_grad(RankSortLoss(bucketed=True), logits, targets),
                           _logit_grad(RankSortLoss(bucketed=False), logits, targets),
                           rtol=1e-5, atol=1e-9) for logits, targets in problems)
