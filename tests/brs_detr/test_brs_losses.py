"""The mmdet ranking-loss wrappers, the flattened ranking problem and self-balancing (Sec. 3.5)."""
import pytest
import torch

from brs_detr.models.losses import (APLoss, RankSortLoss, flat_ranking_problem, self_balance,
                                    self_balance_weight)
from brs_detr.ranking import ap_loss, rank_sort_loss
from mmdet.registry import MODELS


def _problem(seed=0, n=400, p=12):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, generator=g, dtype=torch.float64)
    targets = torch.zeros(n, dtype=torch.float64)
    targets[torch.randperm(n, generator=g)[:p]] = torch.rand(p, generator=g, dtype=torch.float64)
    return logits, targets.clamp(min=0.05)


@pytest.mark.parametrize('bucketed', [True, False])
def test_rank_sort_loss_wraps_the_core(bucketed):
    loss = MODELS.build(dict(type='RankSortLoss', bucketed=bucketed, loss_weight=2.5))
    assert isinstance(loss, RankSortLoss) and loss.delta == 0.5
    logits, targets = _problem()
    mine = logits.clone().requires_grad_()
    core = logits.clone().requires_grad_()
    value = loss(mine, targets)
    ranking, sorting = rank_sort_loss(core, targets, delta=0.5, bucketed=bucketed)
    expected = 2.5 * (ranking + sorting)
    value.backward()
    expected.backward()
    assert torch.allclose(value, expected)
    assert torch.allclose(mine.grad, core.grad)
    assert mine.grad.abs().sum() > 0


@pytest.mark.parametrize('bucketed', [True, False])
def test_ap_loss_wraps_the_core(bucketed):
    loss = MODELS.build(dict(type='APLoss', bucketed=bucketed))
    assert isinstance(loss, APLoss) and loss.delta == 1.0
    logits, targets = _problem(seed=1)
    assert torch.allclose(loss(logits, targets),
                          ap_loss(logits, targets, delta=1.0, bucketed=bucketed))


def test_ranking_loss_rejects_bad_configuration_and_labels():
    with pytest.raises(ValueError, match='use_sigmoid'):
        RankSortLoss(use_sigmoid=False)
    with pytest.raises(ValueError, match='delta'):
        APLoss(delta=-1.0)
    with pytest.raises(TypeError, match='integer targets'):
        RankSortLoss()(torch.zeros(4, 3), torch.zeros(4, dtype=torch.long))


def test_ranking_loss_scores_classes_with_sigmoids():
    loss = RankSortLoss()
    assert loss.custom_cls_channels and loss.get_cls_channels(20) == 20
    logits = torch.tensor([[0.0, 2.0], [-1.0, 1.0]])
    scores = loss.get_activation(logits)
    assert scores.shape == (2, 3)
    assert torch.allclose(scores[:, :2], logits.sigmoid()) and (scores[:, 2] == 0).all()


def test_flat_ranking_problem_two_images_known_assignments():
    # Image 0 has 3 predictions, image 1 has 2, three classes (3 = background). Image 0: prediction
    # 0 is assigned to a class-1 ground truth with IoU 0.8, prediction 1 is background, prediction
    # 2 is ignored. Image 1: prediction 3 is assigned to class 0 (IoU 0.6), prediction 4 to class 2
    # with IoU 0 (it stays positive, at the floor).
    cls_scores = torch.arange(15, dtype=torch.float32).reshape(5, 3)
    labels = torch.tensor([1, 3, 3, 0, 2])
    pos_ious = torch.tensor([0.8, 0.6, 0.0], requires_grad=True)
    valid = torch.tensor([True, True, False, True, True])
    logits, targets = flat_ranking_problem(cls_scores, labels, pos_ious, valid)
    assert logits.tolist() == [0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14]
    expected = torch.tensor([0, 0.8, 0, 0, 0, 0, 0.6, 0, 0, 0, 0, 1e-6])
    assert torch.allclose(targets, expected)
    assert not targets.requires_grad
    assert (targets > 0).sum() == 3


def test_flat_ranking_problem_names_the_bad_shape():
    with pytest.raises(ValueError, match='pos_ious'):
        flat_ranking_problem(torch.zeros(4, 2), torch.tensor([0, 2, 2, 1]), torch.ones(3))
    with pytest.raises(ValueError, match='labels'):
        flat_ranking_problem(torch.zeros(4, 2), torch.tensor([0, 2]), torch.ones(1))
    with pytest.raises(ValueError, match=r'\(N, C\)'):
        flat_ranking_problem(torch.zeros(4), torch.tensor([0, 2, 2, 1]), torch.ones(2))


def test_self_balancing_weight_is_the_loss_ratio():
    loss_brs = torch.tensor(0.9, requires_grad=True)
    pred = torch.tensor([1.0, 3.0], requires_grad=True)
    loss_box = (pred**2).mean()  # 5.0
    assert torch.isclose(self_balance_weight(loss_box, loss_brs), torch.tensor(0.9 / 5.0))
    balanced = self_balance(loss_box, loss_brs)
    assert torch.isclose(balanced, loss_brs)
    balanced.backward()
    # lambda is a constant: the box gradient is scaled by L_BRS / L_bbox, the ranking loss gets none
    assert torch.allclose(pred.grad, 0.9 / 5.0 * pred)
    assert loss_brs.grad is None
    zero = torch.zeros((), requires_grad=True)
    assert self_balance(zero, loss_brs) == 0 and self_balance_weight(zero, loss_brs) == 0
