"""Faster R-CNN aux-head parts of BRS-DETR on hand-made two-image examples with known assignments:
the RPN (BRS over all anchors) and the class-wise sigmoid RoI box head (BRS over all proposals)."""
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from brs_detr.models import BRSRPNHead, BRSShared2FCBBoxHead
from mmdet.registry import MODELS
from recording_loss import record_ranking_problems
from tiny_model import small_rpn_head


def test_rpn_ranks_every_anchor_of_both_images():
    # 32x32 images; level 0: 4x4 anchors of size 8 centred at 0, 8, 16, 24; level 1: 2x2 of size 16
    # centred at 0, 16. Image 0's box is exactly the level-0 anchor at (8, 8) [row 1, col 1],
    # image 1's the level-1 anchor at (16, 16) [row 1, col 1]; every other anchor has IoU < 0.3.
    head = small_rpn_head()
    assert isinstance(head, BRSRPNHead)
    (recorder, ) = record_ranking_problems(head)
    cls_scores = [torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 2, 2)]
    cls_scores[0][0, 0, 1, 1] = 7.0
    cls_scores[1][1, 0, 1, 1] = 9.0
    bbox_preds = [torch.zeros(2, 4, 4, 4, requires_grad=True),
                  torch.zeros(2, 4, 2, 2, requires_grad=True)]
    gts = [InstanceData(bboxes=torch.tensor([[4., 4., 12., 12.]]), labels=torch.tensor([0])),
           InstanceData(bboxes=torch.tensor([[8., 8., 24., 24.]]), labels=torch.tensor([0]))]
    metas = [dict(img_shape=(32, 32), pad_shape=(32, 32))] * 2
    losses = head.loss_by_feat(cls_scores, bbox_preds, gts, metas)

    assert set(losses) == {'loss_rpn_cls', 'loss_rpn_bbox'}
    (logits, targets), = recorder.problems
    assert logits.numel() == 2 * (16 + 4)  # all anchors of both images, no sampling
    positives = targets > 0
    assert sorted(logits[positives].tolist()) == [7.0, 9.0]
    assert torch.allclose(targets[positives], torch.ones(2))  # zero deltas: box = anchor = gt
    # perfect boxes: GIoU loss 0, so self-balancing leaves it at 0
    assert losses['loss_rpn_bbox'] == 0


def test_rpn_rejects_a_non_ranking_loss():
    cfg = dict(type='BRSRPNHead', in_channels=4, reg_decoded_bbox=True,
               loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True))
    with pytest.raises(TypeError, match='loss_cls must be a ranking loss'):
        MODELS.build(cfg)
    cfg['loss_cls'] = dict(type='RankSortLoss', use_sigmoid=True)
    cfg['reg_decoded_bbox'] = False
    with pytest.raises(ValueError, match='reg_decoded_bbox'):
        MODELS.build(cfg)


def _bbox_head(num_classes=3, loss_cls=None):
    return MODELS.build(dict(
        type='BRSShared2FCBBoxHead',
        in_channels=4,
        fc_out_channels=8,
        roi_feat_size=2,
        num_classes=num_classes,
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                        target_stds=[0.1, 0.1, 0.2, 0.2]),
        reg_class_agnostic=False,
        reg_decoded_bbox=True,
        loss_cls=loss_cls or dict(type='RankSortLoss', loss_weight=5.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=50.0)))


def test_bbox_head_is_class_wise_sigmoid():
    head = _bbox_head()
    assert isinstance(head, BRSShared2FCBBoxHead)
    assert head.fc_cls.out_features == 3  # no background logit
    rois = torch.tensor([[0, 0., 0., 10., 10.], [0, 2., 2., 9., 9.]])
    cls_score = torch.tensor([[3.0, -3.0, 0.0], [-2.0, 2.5, -1.0]])
    results = head._predict_by_feat_single(
        rois, cls_score, torch.zeros(2, 12), dict(img_shape=(20, 20)), rescale=False,
        rcnn_test_cfg=ConfigDict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),
                                 max_per_img=10))
    top = results.scores.argmax()
    assert results.labels[top] == 0
    assert torch.isclose(results.scores[top], torch.sigmoid(torch.tensor(3.0)))


def test_bbox_head_two_images_known_assignments():
    # Image 0: proposals [0,0,10,8] and [0,0,10,5] both assigned to a class-2 box [0,0,10,10]
    # (IoU 0.8 and 0.5), [20,20,30,30] background. Image 1: [5,5,15,15] assigned to a class-0 box
    # [5,5,15,25] (IoU 0.5), [0,0,4,4] ignored (label weight 0). Zero deltas: boxes = proposals.
    head = _bbox_head()
    (recorder, ) = record_ranking_problems(head)
    rois = torch.tensor([[0, 0., 0., 10., 8.], [0, 0., 0., 10., 5.], [0, 20., 20., 30., 30.],
                         [1, 5., 5., 15., 15.], [1, 0., 0., 4., 4.]])
    labels = torch.tensor([2, 2, 3, 0, 3])
    label_weights = torch.tensor([1., 1., 1., 1., 0.])
    bbox_targets = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 10.], [0.] * 4,
                                 [5., 5., 15., 25.], [0.] * 4])
    cls_score = torch.randn(5, 3, generator=torch.Generator().manual_seed(0), requires_grad=True)
    bbox_pred = torch.zeros(5, 12, requires_grad=True)
    losses = head.loss(cls_score, bbox_pred, rois, labels, label_weights, bbox_targets,
                       torch.ones(5, 4))

    (logits, targets), = recorder.problems
    assert torch.equal(logits, cls_score.detach()[:4].reshape(-1))
    expected = torch.tensor([[0, 0, 0.8], [0, 0, 0.5], [0, 0, 0], [0.5, 0, 0]]).reshape(-1)
    assert torch.allclose(targets, expected)
    # lambda = L_BRS / L_GIoU: the balanced box loss takes the ranking loss' value
    assert losses['loss_bbox'] > 0
    assert torch.isclose(losses['loss_bbox'], losses['loss_cls'])
    (losses['loss_cls'] + losses['loss_bbox']).backward()
    # only the assigned class' deltas of the three positives are regressed
    regressed = torch.zeros(5, 3, dtype=torch.bool)
    regressed[[0, 1, 3], [2, 2, 0]] = True
    per_class = bbox_pred.grad.abs().reshape(5, 3, 4).sum(-1)
    assert (per_class[regressed] > 0).all() and (per_class[~regressed] == 0).all()


def test_bbox_head_takes_the_bucketed_ap_loss_too():
    head = _bbox_head(loss_cls=dict(type='APLoss', loss_weight=1.0))
    rois = torch.tensor([[0, 0., 0., 10., 8.], [0, 20., 20., 30., 30.]])
    losses = head.loss(torch.zeros(2, 3, requires_grad=True), torch.zeros(2, 12), rois,
                       torch.tensor([1, 3]), torch.ones(2),
                       torch.tensor([[0., 0., 10., 10.], [0.] * 4]), torch.ones(2, 4))
    # all 6 logits tie, so the one positive is not ranked above the 5 negatives
    assert losses['loss_cls'] > 0
    assert torch.isclose(losses['loss_bbox'], losses['loss_cls'])
