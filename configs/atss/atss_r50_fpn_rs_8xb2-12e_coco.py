# RS-ATSS (thesis Table 4.1: 39.8 AP, T_iter 0.36 s): BRS-ATSS with the unbucketed RS Loss.
_base_ = './atss_r50_fpn_brs_8xb2-12e_coco.py'

model = dict(bbox_head=dict(loss_cls=dict(bucketed=False)))
