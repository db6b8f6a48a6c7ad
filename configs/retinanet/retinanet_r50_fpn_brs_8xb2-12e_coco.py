# BRS-RetinaNet (thesis Table 4.7: 38.3 AP, T_iter 0.23 s). The authors released no RetinaNet
# config; this applies their one-stage recipe (BRS-ATSS) to mmdet's RetinaNet: Bucketed RS Loss
# (delta 0.5) over every anchor of the batch in place of Focal Loss; GIoU on decoded boxes in place
# of L1 on deltas, weighted by each positive's max score and self-balanced; lr 0.008 (thesis
# Sec. 4.1 for one-stage detectors). RetinaNet's anchors and max-IoU assignment stay mmdet's.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['brs_detr.models'], allow_failed_imports=False)

model = dict(
    bbox_head=dict(
        type='BRSRetinaHead',
        reg_decoded_bbox=True,
        loss_cls=dict(_delete_=True, type='RankSortLoss', use_sigmoid=True, delta=0.5,
                      bucketed=True, loss_weight=1.0),
        loss_bbox=dict(_delete_=True, type='GIoULoss', loss_weight=1.0),
        zero_iou_negative=True,
        max_score_box_weights=True))

optim_wrapper = dict(optimizer=dict(lr=0.008))
