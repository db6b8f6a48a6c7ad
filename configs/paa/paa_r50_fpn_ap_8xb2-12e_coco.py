# AP-PAA (thesis Table 4.1: 37.3 AP, T_iter 0.45 s): BAP-PAA with the original, unbucketed AP Loss.
_base_ = './paa_r50_fpn_bap_8xb2-12e_coco.py'

model = dict(bbox_head=dict(loss_cls=dict(bucketed=False)))
