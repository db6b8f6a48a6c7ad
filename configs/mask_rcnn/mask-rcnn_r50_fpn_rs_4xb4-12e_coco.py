# RS Mask R-CNN (the unbucketed RS Loss baseline; thesis Table 4.3: mask AP 36.3, T_iter 0.56 s):
# the BRS config with bucketed=False in both heads.
_base_ = './mask-rcnn_r50_fpn_brs_4xb4-12e_coco.py'

model = dict(
    rpn_head=dict(loss_cls=dict(bucketed=False)),
    roi_head=dict(bbox_head=dict(loss_cls=dict(bucketed=False))))
