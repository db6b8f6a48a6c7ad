# BRS-ATSS (thesis Table 4.1: 39.8 AP, T_iter 0.15 s): mmdet's ATSS with the changes of the authors'
# released config (blisgard/BucketedRankingBasedLosses, after RS-ATSS of kemaloksuz/RankSortLoss):
# Bucketed RS Loss (delta 0.5) over every anchor of the batch in place of Focal Loss; GIoU on the
# decoded boxes weighted by each positive's max score and self-balanced to the ranking loss (its
# configured weight then cancels); no centerness branch; 3 anchors per location (octave base
# scale 4, 3 scales per octave); lr 0.008. 8 GPUs x 2 images (the authors ran 4 x 4: same batch).
_base_ = 'mmdet::atss/atss_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['brs_detr.models'], allow_failed_imports=False)

model = dict(
    bbox_head=dict(
        type='BRSATSSHead',
        anchor_generator=dict(octave_base_scale=4, scales_per_octave=3),
        loss_cls=dict(_delete_=True, type='RankSortLoss', use_sigmoid=True, delta=0.5,
                      bucketed=True, loss_weight=1.0),
        loss_centerness=None,
        # as the authors' head: an IoU-0 positive's target 0 makes it a negative
        zero_iou_negative=True,
        max_score_box_weights=True))

optim_wrapper = dict(optimizer=dict(lr=0.008))
