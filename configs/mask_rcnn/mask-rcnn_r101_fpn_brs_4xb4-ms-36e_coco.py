# BRS Mask R-CNN, ResNet-101 FPN, 36 epochs, multi-scale training (thesis Table 4.3: mask AP 40.3,
# T_iter 0.27 s vs 0.59 s with RS Loss). As RS-R-CNN's released R-101 config, which the authors'
# inherits: short side drawn from 640-800 (6 scales), lr / 10 after epochs 27 and 33.
_base_ = './mask-rcnn_r50_fpn_brs_4xb4-12e_coco.py'

model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=_base_.backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize',
         scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768), (1333, 800)],
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
