# Score-based PAA (Focal Loss + GIoU + IoU prediction): mmdet's own PAA, unchanged.
_base_ = 'mmdet::paa/paa_r50_fpn_1x_coco.py'
