# BRS-PAA (thesis Table 4.1: 40.9 AP, T_iter 0.30 s): mmdet's PAA with the changes of the authors'
# released config (blisgard/BucketedRankingBasedLosses, after RS-PAA of kemaloksuz/RankSortLoss):
# Bucketed RS Loss (delta 0.5) over every anchor of the batch as the training loss; PAA's GMM
# assignment keeps scoring candidates with Focal Loss + GIoU, at GIoU weight 1.0 (mmdet: 1.3); the
# trained GIoU is weighted by each positive's max score and self-balanced; no IoU-prediction
# branch; 3 anchors per location; lr 0.008. 8 GPUs x 2 images (the authors ran 4 x 4: same batch).
_base_ = 'mmdet::paa/paa_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['brs_detr.models'], allow_failed_imports=False)

model = dict(
    bbox_head=dict(
        type='BRSPAAHead',
        anchor_generator=dict(octave_base_scale=4, scales_per_octave=3),
        loss_cls=dict(_delete_=True, type='RankSortLoss', use_sigmoid=True, delta=0.5,
                      bucketed=True, loss_weight=1.0),
        loss_gmm_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                          loss_weight=1.0),
        loss_bbox=dict(loss_weight=1.0),
        loss_centerness=None,
        # as the authors' head: an IoU-0 positive's target 0 makes it a negative
        zero_iou_negative=True,
        max_score_box_weights=True))

optim_wrapper = dict(optimizer=dict(lr=0.008))
