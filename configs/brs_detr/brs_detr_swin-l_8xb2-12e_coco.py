# BRS-DETR, Swin-L (ImageNet-22k, 384, window 12), 12 epochs on COCO (thesis Sec. 4.1; COCO val AP
# 57.2): the R50 BRS-DETR config with the Swin-L backbone, its neck widths and weight decay 0.05,
# exactly as co_detr/co_deformable_detr_swin-l_8xb2-12e_coco.py changes the R50 Co-DETR config.
_base_ = ['./brs_detr_r50_8xb2-12e_coco.py', '../_base_/models/swin_l.py']
model = dict(backbone=_base_.swin_backbone, neck=dict(in_channels=_base_.swin_out_channels))
optim_wrapper = dict(optimizer=dict(weight_decay=0.05))
