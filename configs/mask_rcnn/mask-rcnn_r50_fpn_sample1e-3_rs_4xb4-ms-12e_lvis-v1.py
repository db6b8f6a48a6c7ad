# RS Mask R-CNN on LVIS v1 (thesis Table 4.4: mask AP 25.6, T_iter 0.87 s): the BRS config with
# bucketed=False in both heads.
_base_ = './mask-rcnn_r50_fpn_sample1e-3_brs_4xb4-ms-12e_lvis-v1.py'

model = dict(
    rpn_head=dict(loss_cls=dict(bucketed=False)),
    roi_head=dict(bbox_head=dict(loss_cls=dict(bucketed=False))))
