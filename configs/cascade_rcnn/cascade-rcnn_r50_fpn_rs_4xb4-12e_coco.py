# RS Cascade R-CNN (the unbucketed RS Loss baseline; thesis Table 4.2: 41.1 AP, T_iter 1.28 s):
# the BRS config with bucketed=False in the RPN and in all three stages.
_base_ = './cascade-rcnn_r50_fpn_brs_4xb4-12e_coco.py'

model = dict(
    rpn_head=dict(loss_cls=dict(bucketed=False)),
    roi_head=dict(bbox_head=[
        dict(stage, loss_cls=dict(stage.loss_cls, bucketed=False))
        for stage in _base_.model.roi_head.bbox_head
    ]))
