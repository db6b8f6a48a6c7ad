# Co-Deformable-DETR, Swin-L (ImageNet-22k, 384, window 12), 12 epochs on COCO: the R50 config with
# the Swin-L backbone, its neck widths and weight decay 0.05, as the released
# co_deformable_detr_swin_large_1x_coco.py (COCO val AP 56.9).
_base_ = ['./co_deformable_detr_r50_8xb2-12e_coco.py', '../_base_/models/swin_l.py']
model = dict(backbone=_base_.swin_backbone, neck=dict(in_channels=_base_.swin_out_channels))
optim_wrapper = dict(optimizer=dict(weight_decay=0.05))
