# BRS Mask R-CNN trained 27 epochs, about the training time RS Loss needs for 12 (thesis Table 4.5:
# mask AP 37.3 vs 36.3). No released config: the 12-epoch one with its lr steps (8, 11) scaled by
# 27 / 12 to epochs 18 and 24 (our choice).
_base_ = './mask-rcnn_r50_fpn_brs_4xb4-12e_coco.py'

max_epochs = 27
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[18, 24],
         gamma=0.1)
]
