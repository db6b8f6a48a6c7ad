# RS Mask R-CNN, ResNet-101 FPN, 36 epochs multi-scale (thesis Table 4.3: mask AP 40.2, T_iter
# 0.59 s): the BRS config with bucketed=False in both heads.
_base_ = './mask-rcnn_r101_fpn_brs_4xb4-ms-36e_coco.py'

model = dict(
    rpn_head=dict(loss_cls=dict(bucketed=False)),
    roi_head=dict(bbox_head=dict(loss_cls=dict(bucketed=False))))
