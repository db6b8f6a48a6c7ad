# Co-Deformable-DETR, Swin-T (ImageNet-1k, 224), 12 epochs on COCO: the R50 config with the
# Swin-T backbone, its neck widths and weight decay 0.05, as the released
# co_deformable_detr_swin_tiny_1x_coco.py (COCO val AP 51.7).
_base_ = ['./co_deformable_detr_r50_8xb2-12e_coco.py', '../_base_/models/swin_t.py']
model = dict(backbone=_base_.swin_backbone, neck=dict(in_channels=_base_.swin_out_channels))
optim_wrapper = dict(optimizer=dict(weight_decay=0.05))
