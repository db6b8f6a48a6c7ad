# Tiny BRS-DETR for CPU tests and the default demo: the tiny Co-Deformable-DETR (ResNet-18, 64-dim
# 2+2-layer transformer, 30 queries, both aux heads, 3-image demo set) with exactly the model changes
# of brs_detr_r50_8xb2-12e_coco.py: BRS Loss in every head with self-balanced box losses, Hungarian
# classification cost 4, aux-head weight 5, no sampling, no centerness, and the same switches to the
# authors' code (IoU-0 matches are negatives, the RPN's unit-anchor box space, unweighted aux GIoU,
# training proposals up to the RPN's nms_pre: 1000 here, 4000 there; zero-size proposals kept). The
# schedule stays the tiny config's overfitting one (the thesis' lr steps at epochs 10 and 11 belong
# to the 12-epoch run).
_base_ = '../co_detr/co_deformable_detr_tiny_1xb2-demo.py'
custom_imports = dict(imports=['projects.models', 'brs_detr.models'], allow_failed_imports=False)

aux_weight = 5.0
rpn_weight = 0.2
authors_aux_losses = dict(zero_iou_negative=True, max_score_box_weights=False)

model = dict(
    query_head=dict(
        type='BRSCoDeformDETRHead',
        zero_iou_negative=True,
        loss_cls=dict(
            _delete_=True, type='RankSortLoss', use_sigmoid=True, bucketed=True,
            loss_weight=2.0)),
    rpn_head=dict(
        type='BRSRPNHead',
        reg_decoded_bbox=True,
        loss_box_space='unit_anchor',
        **authors_aux_losses,
        loss_cls=dict(
            _delete_=True, type='RankSortLoss', use_sigmoid=True, bucketed=True,
            loss_weight=aux_weight * rpn_weight),
        loss_bbox=dict(_delete_=True, type='GIoULoss', loss_weight=1.0)))

_base_.model.roi_head[0].bbox_head.type = 'BRSShared2FCBBoxHead'
_base_.model.roi_head[0].bbox_head.loss_cls = dict(
    type='RankSortLoss', use_sigmoid=True, bucketed=True, loss_weight=aux_weight)
_base_.model.roi_head[0].bbox_head.update(authors_aux_losses)
_base_.model.bbox_head[0].type = 'BRSCoATSSHead'
_base_.model.bbox_head[0].loss_cls = dict(
    type='RankSortLoss', use_sigmoid=True, bucketed=True, loss_weight=aux_weight)
_base_.model.bbox_head[0].loss_centerness = None
_base_.model.bbox_head[0].update(authors_aux_losses)
_base_.model.train_cfg[0].assigner.match_costs[0].weight = 4.0  # FocalLossCost
_base_.model.train_cfg[1].rpn.sampler = dict(type='PseudoSampler')
_base_.model.train_cfg[1].rcnn.sampler = dict(type='PseudoSampler')
_base_.model.train_cfg[1].rpn_proposal.max_per_img = _base_.model.train_cfg[1].rpn_proposal.nms_pre
_base_.model.train_cfg[1].rpn_proposal.min_bbox_size = -1
_base_.model.test_cfg[1].rpn.min_bbox_size = -1
