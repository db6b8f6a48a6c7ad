# BAP-PAA (thesis Table 4.1: 37.2 AP, T_iter 0.30 s): BRS-PAA with the Bucketed AP Loss. The
# authors' RankBasedPAAHead calls its AP losses with the head's delta, 0.5 (AP Loss' own is 1.0: set
# loss_cls.delta=1.0 for it), on 0/1 labels, not IoUs, so a positive whose box has IoU 0 stays a
# positive there.
_base_ = './paa_r50_fpn_brs_8xb2-12e_coco.py'

model = dict(
    bbox_head=dict(
        loss_cls=dict(_delete_=True, type='APLoss', use_sigmoid=True, delta=0.5, bucketed=True,
                      loss_weight=1.0),
        zero_iou_negative=False,
        # their AP heads keep the score-weighted GIoU at its configured weight (1.0) instead of
        # self-balancing it; self_balance_box=True is the thesis' RS-style balancing
        self_balance_box=False))
