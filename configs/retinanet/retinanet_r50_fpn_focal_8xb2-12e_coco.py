# Score-based RetinaNet (Focal Loss + L1): mmdet's own RetinaNet, unchanged.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
