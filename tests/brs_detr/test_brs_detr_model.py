"""The built tiny BRS-DETR: every classification loss is a ranking loss, matcher cost 4, aux
weight 5, self-balanced box losses, and training without NaN on real images (thesis Sec. 3.5)."""
import copy
import math
import re

import torch
from mmengine.optim import build_optim_wrapper

from brs_detr.models import (BRSCoATSSHead, BRSCoDeformDETRHead, BRSRPNHead,
                             BRSShared2FCBBoxHead, RankSortLoss)
from mmdet.models.losses import CrossEntropyLoss, FocalLoss, QualityFocalLoss
from mmdet.models.task_modules.samplers import PseudoSampler
from recording_loss import record_ranking_problems


def _loss(model, batch):
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    return model(**data, mode='loss')


def _heads(model):
    return [model.query_head, model.rpn_head, model.roi_head[0].bbox_head, model.bbox_head[0]]


def test_every_classification_loss_is_a_ranking_loss(brs_tiny_model, demo_batch):
    model = brs_tiny_model
    assert isinstance(model.query_head, BRSCoDeformDETRHead)
    assert isinstance(model.rpn_head, BRSRPNHead)
    assert isinstance(model.roi_head[0].bbox_head, BRSShared2FCBBoxHead)
    assert isinstance(model.bbox_head[0], BRSCoATSSHead)
    for head in _heads(model):
        assert isinstance(head.loss_cls, RankSortLoss) and head.loss_cls.bucketed
        assert head.loss_cls.delta == 0.5
    assert not any(isinstance(m, (FocalLoss, CrossEntropyLoss, QualityFocalLoss))
                   for m in model.modules())
    # class-wise sigmoid RoI scores, no centerness branch
    assert model.roi_head[0].bbox_head.fc_cls.out_features == model.query_head.num_classes
    assert not hasattr(model.bbox_head[0], 'atss_centerness')

    recorders = record_ranking_problems(model)
    losses = _loss(model, demo_batch)
    cls_keys = [k for k in losses if re.search(r'loss_(rpn_)?cls', k)]
    assert not [k for k in losses if 'centerness' in k or k.startswith('acc')]
    # 2 decoder layers x (one-to-one + 2 aux heads' queries) + encoder + RPN + RoI + ATSS
    assert len(cls_keys) == 2 * 3 + 4
    outputs = [out for rec in recorders for out in rec.outputs]
    assert len(outputs) == len(cls_keys)
    # each classification entry of the loss dict is what a ranking loss returned (lambda_1 = 1)
    assert torch.allclose(torch.stack(sorted(outputs)),
                          torch.stack(sorted(losses[k].detach() for k in cls_keys)))
    for rec in recorders:
        for logits, targets in rec.problems:
            assert ((targets == 0) | ((targets > 0) & (targets <= 1))).all()
            assert (targets > 0).any()


def test_matcher_cost_4_aux_weight_5_no_sampling(brs_tiny_model):
    model = brs_tiny_model
    cls_cost = model.query_head.assigner.match_costs[0]
    assert type(cls_cost).__name__ == 'FocalLossCost' and cls_cost.weight == 4.0
    assert model.query_head.loss_cls.loss_weight == 2.0
    assert model.roi_head[0].bbox_head.loss_cls.loss_weight == 5.0
    assert model.bbox_head[0].loss_cls.loss_weight == 5.0
    assert model.rpn_head.loss_cls.loss_weight == 5.0 * 0.2
    assert isinstance(model.rpn_head.sampler, PseudoSampler)
    assert isinstance(model.roi_head[0].bbox_sampler, PseudoSampler)


def test_box_losses_are_self_balanced(brs_tiny_model, demo_batch):
    """lambda_bbox = L_BRS / L_bbox and lambda_IoU = L_BRS / L_IoU: each balanced box loss takes
    the value of the ranking loss it is balanced against (Eq. 3.56)."""
    losses = _loss(brs_tiny_model, demo_batch)
    pairs = 0
    for key, value in losses.items():
        match = re.fullmatch(r'(.*)loss_(rpn_)?(bbox|iou)(.*)', key)
        if match is None:
            continue
        cls_key = f'{match[1]}loss_{match[2] or ""}cls{match[4]}'
        assert value > 0, key
        assert torch.isclose(value, losses[cls_key], rtol=1e-5), (key, cls_key)
        pairs += 1
    # (L1, GIoU) x (2 layers x 3 query sets + encoder), RPN, RoI, ATSS
    assert pairs == 2 * (2 * 3 + 1) + 1 + 1 + 1


def _without_boxes(batch, indices):
    batch = copy.deepcopy(batch)
    for i in indices:
        gt = batch['data_samples'][i].gt_instances
        batch['data_samples'][i].gt_instances = gt[gt.labels < 0]
    return batch


def test_trains_without_nan_with_empty_ground_truth(brs_tiny_cfg, brs_tiny_model, demo_batch):
    model = brs_tiny_model
    optim_wrapper = build_optim_wrapper(model, brs_tiny_cfg.optim_wrapper)
    for empty in ([1], [0, 1]):
        batch = _without_boxes(demo_batch, empty)
        assert len(batch['data_samples'][empty[0]].gt_instances) == 0
        for _ in range(2):
            log_vars = model.train_step(copy.deepcopy(batch), optim_wrapper)
            assert all(math.isfinite(float(torch.as_tensor(v).detach())) for v in log_vars.values())
    assert all(torch.isfinite(p).all() for p in model.parameters())
    # an image with boxes still gives positive ranking losses after steps on empty images
    losses = _loss(model, _without_boxes(demo_batch, [1]))
    assert losses['loss_cls'] > 0 and losses['loss_cls0'] > 0


def test_query_head_two_images_known_assignments(brs_tiny_model):
    """The query head's ranking problem on hand-made matches: image 0's queries 0 and 2 are matched
    to a class-4 and a class-7 box with IoU 0.5, image 1's query 2 to a class-0 box with IoU 0.6;
    every other (query, class) pair is negative."""
    head = brs_tiny_model.query_head
    (recorder, ) = record_ranking_problems(head)
    num_classes = head.num_classes
    bg = num_classes
    cls_scores = torch.randn(2, 3, num_classes, generator=torch.Generator().manual_seed(0))
    bbox_preds = torch.tensor([[[0.5, 0.5, 0.2, 0.2], [0.3, 0.3, 0.2, 0.1], [0.8, 0.8, 0.1, 0.1]],
                               [[0.5, 0.5, 0.4, 0.4], [0.2, 0.2, 0.1, 0.1], [0.6, 0.6, 0.2, 0.2]]])
    bbox_targets = torch.zeros(2, 3, 4)
    bbox_targets[0, 0] = torch.tensor([0.5, 0.5, 0.2, 0.4])
    bbox_targets[0, 2] = torch.tensor([0.8, 0.8, 0.1, 0.2])
    bbox_targets[1, 2] = torch.tensor([0.65, 0.6, 0.2, 0.2])
    labels = torch.tensor([[4, bg, 7], [bg, bg, 0]])
    bbox_weights = (labels < bg).float()[..., None].expand(2, 3, 4)
    metas = [dict(img_shape=(100, 200))] * 2  # IoU in pixels = IoU of normalised boxes
    loss_cls, loss_bbox, loss_iou = head.loss_from_targets(
        cls_scores, bbox_preds, labels, torch.ones(2, 3), bbox_targets, bbox_weights, metas)

    (logits, targets), = recorder.problems
    assert torch.equal(logits, cls_scores.reshape(-1))
    expected = torch.zeros(2, 3, num_classes)
    expected[0, 0, 4] = expected[0, 2, 7] = 0.5
    expected[1, 2, 0] = 0.6
    assert torch.allclose(targets, expected.reshape(-1), atol=1e-6)
    assert loss_cls > 0
    assert torch.isclose(loss_bbox, loss_cls) and torch.isclose(loss_iou, loss_cls)
