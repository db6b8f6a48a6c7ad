# RS-PAA (thesis Table 4.1: 40.8 AP, T_iter 0.57 s): BRS-PAA with the original, unbucketed RS Loss.
_base_ = './paa_r50_fpn_brs_8xb2-12e_coco.py'

model = dict(bbox_head=dict(loss_cls=dict(bucketed=False)))
