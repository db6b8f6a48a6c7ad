"""Theorem of Sec. 3.4 on the two-stage heads: on the ranking problems a training step of the tiny
BRS Cascade R-CNN (RPN + three stages) and Mask R-CNN (RPN + the RoI classification the mask loss
is balanced to) builds, BRS and RS Loss give the same gradient once delta is below the closest
positive-negative gap."""
import pytest
import torch
from mmengine.config import Config

from brs_detr.models.losses import RankSortLoss
from tiny_rcnn import build_tiny

CONFIGS = {
    'cascade': ('configs/cascade_rcnn/cascade-rcnn_r50_fpn_brs_4xb4-12e_coco.py', 4),
    'mask': ('configs/mask_rcnn/mask-rcnn_r50_fpn_brs_4xb4-12e_coco.py', 2),
}


def ranking_problems(model, batch):
    """(logits, targets) of every ranking loss call in one training step of ``model``."""
    problems = []
    hooks = [m.register_forward_hook(
        lambda module, args, out: problems.append((args[0].detach(), args[1].detach())))
        for m in model.modules() if isinstance(m, RankSortLoss)]
    torch.manual_seed(0)
    model(**model.data_preprocessor(batch, True), mode='loss')
    for hook in hooks:
        hook.remove()
    return problems


def closest_negative_to_a_positive(logits, targets):
    negatives = logits[targets == 0].sort().values
    positives = logits[targets > 0]
    right = torch.searchsorted(negatives, positives).clamp(max=negatives.numel() - 1)
    left = (right - 1).clamp(min=0)
    return torch.minimum((negatives[right] - positives).abs(),
                         (negatives[left] - positives).abs()).min()


def logit_grad(bucketed, delta, logits, targets):
    leaf = logits.clone().requires_grad_()
    RankSortLoss(delta=delta, bucketed=bucketed)(leaf, targets).backward()
    return leaf.grad


@pytest.mark.parametrize('name', list(CONFIGS))
def test_brs_and_rs_gradients_agree_at_small_delta(name, repo_root, demo_batch):
    path, num_heads = CONFIGS[name]
    problems = ranking_problems(build_tiny(Config.fromfile(repo_root / path)), demo_batch)
    assert len(problems) == num_heads  # RPN, then each RoI stage
    generator = torch.Generator().manual_seed(0)
    for logits, targets in problems:
        assert (targets > 0).any()
        # float64 and a 1e-7 jitter break the exact float32 ties the theorem excludes (Eq. 3.43)
        logits = logits.double() + 1e-7 * torch.randn(logits.shape, generator=generator,
                                                      dtype=torch.float64)
        targets = targets.double()
        delta = 0.5 * float(closest_negative_to_a_positive(logits, targets))
        assert delta > 0
        brs, rs = (logit_grad(bucketed, delta, logits, targets) for bucketed in (True, False))
        assert brs.abs().sum() > 0
        assert torch.allclose(brs, rs, rtol=1e-9, atol=1e-15)
        # control: at the configured delta (0.5) bucketing does change the gradient
        assert not torch.allclose(logit_grad(True, 0.5, logits, targets),
                                  logit_grad(False, 0.5, logits, targets), rtol=1e-5, atol=1e-9)
