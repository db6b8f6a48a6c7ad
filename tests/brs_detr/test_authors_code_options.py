"""The switches that reproduce the authors' released BRS-DETR code (issue 8, README "Differences from
the official code"), each checked against the authors' formula written out here."""
import math

import torch
from mmengine.structures import InstanceData

from brs_detr.models.losses import RankSortLoss, flat_ranking_problem, rank_based_head_losses
from brs_detr.models.losses.flat_ranking_problem import MIN_POSITIVE_TARGET
from mmdet.models.losses import GIoULoss
from mmdet.structures.bbox import bbox_overlaps
from recording_loss import record_ranking_problems
from tiny_model import small_rpn_head


def test_zero_iou_match_is_a_negative_only_with_the_switch():
    # rows 0 and 1 are matched to classes 1 and 0; row 0's box misses its ground truth (IoU 0)
    cls_scores = torch.zeros(3, 2)
    labels = torch.tensor([1, 0, 2])
    pos_ious = torch.tensor([0.0, 0.6])
    _, kept = flat_ranking_problem(cls_scores, labels, pos_ious)
    _, dropped = flat_ranking_problem(cls_scores, labels, pos_ious, zero_iou_negative=True)
    assert torch.equal(kept, torch.tensor([0, MIN_POSITIVE_TARGET, 0.6, 0, 0, 0]))
    # the authors write the IoUs over their 0/1 labels: IoU 0 reads as a negative
    assert torch.equal(dropped, torch.tensor([0, 0, 0.6, 0, 0, 0]))


def _head_problem(max_score_box_weights):
    """Three positives (one with IoU 0) and two negatives through the shared head step."""
    cls_scores = torch.tensor([[2.0, -1.0], [-3.0, 0.5], [0.0, 0.0], [1.0, -2.0], [-1.0, 1.5]],
                              requires_grad=True)
    labels = torch.tensor([0, 1, 0, 2, 2])
    preds = torch.tensor([[0., 0., 10., 10.], [5., 5., 25., 15.], [50., 50., 60., 60.]],
                         requires_grad=True)
    gts = torch.tensor([[1., 2., 11., 10.], [0., 5., 20., 15.], [0., 0., 10., 10.]])
    loss_rank, loss_box = rank_based_head_losses(
        RankSortLoss(loss_weight=1.0), GIoULoss(loss_weight=3.0), cls_scores, labels, preds, gts,
        zero_iou_negative=True, max_score_box_weights=max_score_box_weights)
    loss_box.backward()
    return cls_scores, preds, gts, loss_rank, loss_box


def test_unweighted_box_loss_reproduces_the_authors_reduced_mean_times_scores():
    cls_scores, preds, gts, loss_rank, loss_box = _head_problem(max_score_box_weights=False)
    # the authors' aux heads: weights * GIoULoss(reduction='mean') / sum(weights), then SB
    reference = preds.detach().clone().requires_grad_()
    weights = cls_scores.detach().sigmoid().max(dim=1).values[:3]
    mean = GIoULoss(loss_weight=3.0)(reference, gts)
    authors = torch.sum(weights * mean) / weights.sum()
    authors = authors * (loss_rank.detach() / authors.item())
    authors.backward()
    assert torch.isclose(loss_box, loss_rank) and torch.isclose(loss_box, authors)
    assert torch.allclose(preds.grad, reference.grad, atol=1e-7)


def test_max_score_weights_change_the_box_gradient_not_the_value():
    _, weighted_grad_preds, _, loss_rank, weighted = _head_problem(max_score_box_weights=True)
    _, plain_grad_preds, _, _, plain = _head_problem(max_score_box_weights=False)
    assert torch.isclose(weighted, plain) and torch.isclose(weighted, loss_rank)
    assert not torch.allclose(weighted_grad_preds.grad, plain_grad_preds.grad)


def _authors_unit_box(deltas):
    """The authors' ``RankBasedRPNHead.delta2bbox``: no anchor, stds (0.1, 0.1, 0.2, 0.2)."""
    clip = abs(math.log(16 / 1000))
    cx, cy = deltas[:, 0] * 0.1, deltas[:, 1] * 0.1
    w = torch.exp((deltas[:, 2] * 0.2).clamp(-clip, clip))
    h = torch.exp((deltas[:, 3] * 0.2).clamp(-clip, clip))
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


def _rpn_losses(head):
    # 32x32 images; image 0's box covers the level-0 anchor at (8, 8) [row 1, col 1], image 1's
    # the level-1 anchor at (16, 16): one positive each, both with non-zero predicted deltas.
    (recorder, ) = record_ranking_problems(head)
    cls_scores = [torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 2, 2)]
    bbox_preds = [torch.zeros(2, 4, 4, 4), torch.zeros(2, 4, 2, 2)]
    bbox_preds[0][0, :, 1, 1] = torch.tensor([0.3, -0.2, 0.4, 0.1])
    bbox_preds[1][1, :, 1, 1] = torch.tensor([-0.5, 0.1, -0.3, 0.2])
    gts = [InstanceData(bboxes=torch.tensor([[5., 4., 12., 13.]]), labels=torch.tensor([0])),
           InstanceData(bboxes=torch.tensor([[8., 9., 26., 24.]]), labels=torch.tensor([0]))]
    metas = [dict(img_shape=(32, 32), pad_shape=(32, 32))] * 2
    head.loss_by_feat(cls_scores, bbox_preds, gts, metas)
    (_, targets), = recorder.problems
    anchors = torch.tensor([[4., 4., 12., 12.], [8., 8., 24., 24.]])
    pred_deltas = torch.stack([bbox_preds[0][0, :, 1, 1], bbox_preds[1][1, :, 1, 1]])
    return targets[targets > 0], anchors, pred_deltas, torch.cat([gt.bboxes for gt in gts])


def test_rpn_unit_anchor_box_space_is_the_authors_decoding():
    targets, anchors, pred_deltas, gts = _rpn_losses(small_rpn_head(loss_box_space='unit_anchor'))
    gt_deltas = small_rpn_head().bbox_coder.encode(anchors, gts)  # the RPN's coder, stds 1.0
    expected = bbox_overlaps(_authors_unit_box(pred_deltas), _authors_unit_box(gt_deltas),
                             is_aligned=True)
    assert torch.allclose(targets, expected)


def test_rpn_image_box_space_ranks_by_pixel_iou():
    targets, anchors, pred_deltas, gts = _rpn_losses(small_rpn_head())
    boxes = small_rpn_head().bbox_coder.decode(anchors, pred_deltas)
    assert torch.allclose(targets, bbox_overlaps(boxes, gts, is_aligned=True))
    unit_targets, *_ = _rpn_losses(small_rpn_head(loss_box_space='unit_anchor'))
    assert not torch.allclose(targets, unit_targets)
