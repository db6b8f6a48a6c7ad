# Score-based baseline of Table 4.6 (Focal Loss + GIoU + centerness): mmdet's own ATSS, unchanged.
_base_ = 'mmdet::atss/atss_r50_fpn_1x_coco.py'
