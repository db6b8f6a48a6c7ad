"""The RoI-side pieces of RS / BRS R-CNN on hand-made inputs: the box head without RoIs, the
sampler that keeps every proposal, the authors' Dice mask loss and the mask head's positive cap."""
import pytest
import torch
from mmengine.structures import InstanceData

from brs_detr.models import AllProposalsSampler, BRSShared2FCBBoxHead
from brs_detr.models.roi_heads.brs_standard_roi_head import positives_subset
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.registry import MODELS


def _box_head(reg_class_agnostic):
    return MODELS.build(dict(
        type='BRSShared2FCBBoxHead', in_channels=4, fc_out_channels=8, roi_feat_size=2,
        num_classes=3, reg_class_agnostic=reg_class_agnostic, reg_decoded_bbox=True,
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                        target_stds=[0.1, 0.1, 0.2, 0.2]),
        loss_cls=dict(type='RankSortLoss'), loss_bbox=dict(type='GIoULoss'),
        zero_iou_negative=True))


@pytest.mark.parametrize('reg_class_agnostic', [True, False])
def test_box_head_without_rois_gives_zero_losses_in_the_graph(reg_class_agnostic):
    head = _box_head(reg_class_agnostic)
    assert isinstance(head, BRSShared2FCBBoxHead)
    feats = torch.zeros(0, 4, 2, 2, requires_grad=True)
    cls_score, bbox_pred = head(feats)
    assert cls_score.shape == (0, 3)
    losses = head.loss(cls_score, bbox_pred, torch.zeros(0, 5), torch.zeros(0, dtype=torch.long),
                       torch.zeros(0), torch.zeros(0, 4), torch.zeros(0, 4))
    assert set(losses) == {'loss_cls', 'loss_bbox'}
    assert all(loss.item() == 0 and loss.requires_grad for loss in losses.values())
    sum(losses.values()).backward()
    assert head.fc_cls.weight.grad is not None and not head.fc_cls.weight.grad.any()


def test_all_proposals_sampler_keeps_every_proposal_and_adds_the_ground_truth():
    sampler = AllProposalsSampler(context=None)  # RoI heads pass their context
    priors = torch.tensor([[0., 0., 10., 10.], [0., 0., 9., 10.], [20., 20., 30., 30.],
                           [40., 40., 50., 50.], [1., 1., 10., 10.]])
    gts = InstanceData(bboxes=torch.tensor([[0., 0., 10., 10.]]), labels=torch.tensor([2]))
    assign = AssignResult(num_gts=1, gt_inds=torch.tensor([1, 1, 0, 0, -1]),
                          max_overlaps=torch.tensor([1., .9, 0., 0., .45]),
                          labels=torch.tensor([2, 2, -1, -1, -1]))
    result = sampler.sample(assign, InstanceData(priors=priors), gts)
    # the ground-truth box comes first as a proposal; ignored proposals (gt_inds -1) stay out
    assert result.pos_inds.tolist() == [0, 1, 2] and result.neg_inds.tolist() == [3, 4]
    assert result.pos_is_gt.tolist() == [1, 0, 0]
    assert torch.equal(result.pos_priors[0], gts.bboxes[0])
    assert result.pos_gt_labels.tolist() == [2, 2, 2]

    no_gt = AllProposalsSampler(add_gt_as_proposals=False).sample(
        AssignResult(num_gts=1, gt_inds=torch.tensor([1, 1, 0, 0, -1]),
                     max_overlaps=torch.zeros(5), labels=torch.tensor([2, 2, -1, -1, -1])),
        InstanceData(priors=priors), gts)
    assert no_gt.pos_inds.tolist() == [0, 1] and no_gt.neg_inds.tolist() == [2, 3]


def test_dice_loss_config_is_the_authors_mask_loss():
    """1 - 2 sum(p t) / (sum(p^2) + sum(t^2) + 1e-5) on sigmoid masks, weighted per RoI by w and
    divided by sum(w): the authors' RankBasedFCNMaskHead loss."""
    loss = MODELS.build(dict(type='DiceLoss', use_sigmoid=True, activate=True, naive_dice=False,
                             eps=5e-6, loss_weight=1.0))
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 7, 7, generator=generator)
    targets = (torch.rand(5, 7, 7, generator=generator) > 0.5).float()
    targets[4] = 0  # an empty target mask: the eps decides
    weights = torch.rand(5, generator=generator)
    p, t = logits.sigmoid().flatten(1), targets.flatten(1)
    dice = 2 * (p * t).sum(1) / ((p * p).sum(1) + (t * t).sum(1) + 1e-5)
    expected = (weights * (1 - dice)).sum() / weights.sum()
    got = loss(logits, targets, weight=weights, avg_factor=weights.sum())
    assert torch.allclose(got, expected, rtol=1e-6)


def test_positives_subset_keeps_the_chosen_positives_of_each_image():
    sampler = AllProposalsSampler(add_gt_as_proposals=False)
    results = []
    for num_pos in (3, 2):
        gt_inds = torch.tensor([1] * num_pos + [0, 0])
        assign = AssignResult(num_gts=1, gt_inds=gt_inds, max_overlaps=torch.zeros(len(gt_inds)),
                              labels=torch.where(gt_inds > 0, 1, -1))
        priors = torch.arange(len(gt_inds), dtype=torch.float32)[:, None] + torch.tensor(
            [0., 0., 5., 5.])
        results.append(sampler.sample(assign, InstanceData(priors=priors), InstanceData(
            bboxes=torch.tensor([[0., 0., 5., 5.]]), labels=torch.tensor([1]))))
    subset = positives_subset(results, torch.tensor([1, 2, 4]))  # batch-wide positive indices
    assert [res.pos_priors[:, 0].tolist() for res in subset] == [[1., 2.], [1.]]
    assert [len(res.pos_assigned_gt_inds) for res in subset] == [2, 1]
    assert [len(res.neg_priors) for res in subset] == [2, 2]  # negatives untouched
    assert [len(res.pos_priors) for res in results] == [3, 2]  # originals untouched
