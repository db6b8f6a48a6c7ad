# BRS-DETR, Swin-T (ImageNet-1k, 224), 12 epochs on COCO (thesis Sec. 4.1; COCO val AP 52.3): the
# R50 BRS-DETR config with the Swin-T backbone, its neck widths and weight decay 0.05, exactly as
# co_detr/co_deformable_detr_swin-t_8xb2-12e_coco.py changes the R50 Co-DETR config.
_base_ = ['./brs_detr_r50_8xb2-12e_coco.py', '../_base_/models/swin_t.py']
model = dict(backbone=_base_.swin_backbone, neck=dict(in_channels=_base_.swin_out_channels))
optim_wrapper = dict(optimizer=dict(weight_decay=0.05))
