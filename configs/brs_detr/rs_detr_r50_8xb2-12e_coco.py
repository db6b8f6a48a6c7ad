# RS-DETR, ResNet-50: BRS-DETR R50 with the original, unbucketed Rank & Sort Loss in every head
# (bucketed=False): the slow baseline of the thesis (4.14 s vs 0.69 s per iteration, Sec. 4).
_base_ = './brs_detr_r50_8xb2-12e_coco.py'

model = dict(
    query_head=dict(loss_cls=dict(bucketed=False)),
    rpn_head=dict(loss_cls=dict(bucketed=False)))
_base_.model.roi_head[0].bbox_head.loss_cls.bucketed = False
_base_.model.bbox_head[0].loss_cls.bucketed = False
