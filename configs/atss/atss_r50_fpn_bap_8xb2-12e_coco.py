# BAP-ATSS (thesis Table 4.1: 38.5 AP, T_iter 0.15 s): BRS-ATSS with the Bucketed AP Loss at
# delta 1.0, as the authors' RankBasedATSSHead calls it. Their AP path ranks 0/1 labels, not IoUs,
# so a positive whose box has IoU 0 stays a positive there.
_base_ = './atss_r50_fpn_brs_8xb2-12e_coco.py'

model = dict(
    bbox_head=dict(
        loss_cls=dict(_delete_=True, type='APLoss', use_sigmoid=True, delta=1.0, bucketed=True,
                      loss_weight=1.0),
        zero_iou_negative=False,
        # their AP heads keep the score-weighted GIoU at its configured weight (2.0) instead of
        # self-balancing it; self_balance_box=True is the thesis' RS-style balancing
        self_balance_box=False))
