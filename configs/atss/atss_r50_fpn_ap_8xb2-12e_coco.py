# AP-ATSS (thesis Table 4.1: 38.1 AP, T_iter 0.32 s): BAP-ATSS with the unbucketed AP Loss.
_base_ = './atss_r50_fpn_bap_8xb2-12e_coco.py'

model = dict(bbox_head=dict(loss_cls=dict(bucketed=False)))
