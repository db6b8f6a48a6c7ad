# RS Faster R-CNN, ResNet-101 (DCN) FPN, 36 epochs multi-scale (thesis Table 4.2: 47.3 AP,
# T_iter 0.75 s): the BRS config with bucketed=False in both heads.
_base_ = './faster-rcnn_r101-mdconv-c3-c5_fpn_brs_4xb4-ms-36e_coco.py'

model = dict(
    rpn_head=dict(loss_cls=dict(bucketed=False)),
    roi_head=dict(bbox_head=dict(loss_cls=dict(bucketed=False))))
