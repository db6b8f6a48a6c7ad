# Cross-entropy Cascade R-CNN baseline: mmdet's config with 4 images per GPU (16 per step).
_base_ = 'mmdet::cascade_rcnn/cascade-rcnn_r50_fpn_1x_coco.py'

train_dataloader = dict(batch_size=4)
