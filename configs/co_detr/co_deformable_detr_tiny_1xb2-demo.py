# Tiny Co-Deformable-DETR for CPU tests and the default demo: the R50 model with every head
# kept (two-stage, box refinement, mixed selection, look forward twice, ATSS + Faster R-CNN aux
# heads and their positive queries) but a randomly initialised ResNet-18, a 64-dim transformer
# with 2+2 layers, 30 queries, 300 proposals, images of at most 256 px, on the 3-image demo set
# (20 VOC classes).
_base_ = [
    '../_base_/models/co_deformable_detr_r50.py', '../_base_/datasets/demo_coco.py',
    '../_base_/schedules/co_detr_adamw_12e.py', '../_base_/default_runtime.py'
]

num_dec_layer = 2
aux_weight = num_dec_layer * 2.0  # num_dec_layer x lambda_2
embed_dims = 64
num_classes = 20
_ffn = dict(embed_dims=embed_dims, feedforward_channels=128, ffn_drop=0.0)

model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None,
                  norm_cfg=dict(type='BN', requires_grad=True)),
    neck=dict(in_channels=[128, 256, 512], out_channels=embed_dims),
    query_head=dict(
        num_query=30,
        num_classes=num_classes,
        embed_dims=embed_dims,
        max_pos_coords=30,
        transformer=dict(
            encoder=dict(
                num_layers=2,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=embed_dims, num_points=2), ffn_cfg=_ffn)),
            decoder=dict(
                num_layers=num_dec_layer,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=embed_dims, num_heads=4),
                    cross_attn_cfg=dict(embed_dims=embed_dims, num_points=2),
                    ffn_cfg=_ffn))),
        positional_encoding=dict(num_feats=embed_dims // 2)),
    rpn_head=dict(
        in_channels=embed_dims,
        feat_channels=embed_dims,
        loss_cls=dict(loss_weight=1.0 * aux_weight),
        loss_bbox=dict(loss_weight=1.0 * aux_weight)))

# List items (aux heads, per-head train/test settings) are edited in place: a list written here
# would replace the base list.
_base_.model.roi_head[0].bbox_roi_extractor.out_channels = embed_dims
_base_.model.roi_head[0].bbox_head.update(
    in_channels=embed_dims, fc_out_channels=256, num_classes=num_classes)
_base_.model.roi_head[0].bbox_head.loss_cls.loss_weight = 1.0 * aux_weight
_base_.model.roi_head[0].bbox_head.loss_bbox.loss_weight = 10.0 * aux_weight
_base_.model.bbox_head[0].update(
    in_channels=embed_dims, feat_channels=embed_dims, num_classes=num_classes)
_base_.model.bbox_head[0].loss_cls.loss_weight = 1.0 * aux_weight
_base_.model.bbox_head[0].loss_bbox.loss_weight = 2.0 * aux_weight
_base_.model.bbox_head[0].loss_centerness.loss_weight = 1.0 * aux_weight
_base_.model.train_cfg[1].rpn_proposal.update(nms_pre=1000, max_per_img=300)
_base_.model.test_cfg[1].rpn.max_per_img = 300

# Overfitting schedule for the demo: 60 epochs of the 3 images (120 iterations, about 1.5 min
# on one CPU core) at lr 1e-3 reach COCO AP ~0.8 on them.
max_epochs = 60
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[55],
         gamma=0.1)
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=max_epochs))
auto_scale_lr = dict(base_batch_size=2)
