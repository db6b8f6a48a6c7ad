# RS Faster R-CNN (the unbucketed RS Loss baseline; thesis Table 4.2: 39.4 AP, T_iter 0.50 s):
# the BRS config with bucketed=False in both heads.
_base_ = './faster-rcnn_r50_fpn_brs_4xb4-12e_coco.py'

model = dict(
    rpn_head=dict(loss_cls=dict(bucketed=False)),
    roi_head=dict(bbox_head=dict(loss_cls=dict(bucketed=False))))
