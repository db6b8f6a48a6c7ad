# BRS Faster R-CNN, ResNet-101 FPN, 36 epochs, multi-scale training (thesis Table 4.2: 47.7 AP,
# T_iter 0.38 s vs 0.75 s with RS Loss). As the authors' released 36-epoch config (and RS-R-CNN's),
# which produced that row: modulated deformable convolutions (DCNv2, 4 groups) in stages 3-5, short
# side drawn from 480-960, lr / 10 after epochs 27 and 33. The thesis names only ResNet-101: without
# DCN it is `--cfg-options model.backbone.dcn=None` (README, differences from the official code).
_base_ = './faster-rcnn_r50_fpn_brs_4xb4-12e_coco.py'

model = dict(
    backbone=dict(
        depth=101,
        dcn=dict(type='DCNv2', deform_groups=4, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=_base_.backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize',
         scales=[(1333, 480), (1333, 560), (1333, 640), (1333, 720), (1333, 800), (1333, 880),
                 (1333, 960)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

max_epochs = 36
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[27, 33],
         gamma=0.1)
]
