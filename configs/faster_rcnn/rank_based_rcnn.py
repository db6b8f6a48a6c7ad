# Fragment, not a runnable config: what RS-R-CNN / BRS-R-CNN change in mmdet's two-stage baselines
# (thesis Sec. 4.4 - 4.5; the authors' configs in blisgard/BucketedRankingBasedLosses and
# kemaloksuz/RankSortLoss). The Faster, Cascade and Mask R-CNN configs list it in `_base_` next to
# mmdet's baseline and place these pieces into their model:
#   - RPN: BRS over every anchor of the batch (no sampling), GIoU on decoded boxes instead of L1,
#     self-balanced (Eq. 3.56), head weight 0.2; the authors' box space for its loss (deltas decoded
#     around a unit box) and coder stds (0.1, 0.1, 0.2, 0.2);
#   - RoI box head: class-wise sigmoid scores, BRS over every proposal plus the ground-truth boxes
#     (no sampling), self-balanced GIoU on decoded boxes weighted by each positive's max score;
#   - Mask R-CNN: a score-weighted Dice mask loss, self-balanced to the RoI ranking loss;
#   - all: a positive whose box misses its ground truth (IoU 0) is a negative, as in their code;
#   - SGD lr 0.012 for 16 images (4 GPUs x 4), test score threshold 0.4 (theirs, for speed).
# `bucketed=False` in every `RankSortLoss` is the RS Loss baseline (the rs_* configs).
custom_imports = dict(imports=['brs_detr.models'], allow_failed_imports=False)

rank_sort_loss = dict(type='RankSortLoss', use_sigmoid=True, bucketed=True, delta=0.5,
                      loss_weight=1.0)
rank_based_box_loss = dict(type='GIoULoss', loss_weight=1.0)  # self-balanced: the weight cancels
authors_box_loss_options = dict(zero_iou_negative=True, max_score_box_weights=True)
rank_based_bbox_coder = dict(type='DeltaXYWHBBoxCoder', target_means=[0.0, 0.0, 0.0, 0.0],
                             target_stds=[0.1, 0.1, 0.2, 0.2])

# A config replaces list items (the cascade's stages) whole and merges dicts key by key, so each
# head comes twice: its complete entries, and the same entries dropping the base head's settings
# of those keys (`_delete_`, e.g. SmoothL1Loss' beta) for merging into a base head.
brs_bbox_head_entries = dict(
    type='BRSShared2FCBBoxHead',
    reg_decoded_bbox=True,
    bbox_coder=rank_based_bbox_coder,
    loss_cls=rank_sort_loss,
    loss_bbox=rank_based_box_loss,
    **authors_box_loss_options)
brs_bbox_head = dict(
    brs_bbox_head_entries,
    bbox_coder=dict(_delete_=True, **rank_based_bbox_coder),
    loss_cls=dict(_delete_=True, **rank_sort_loss),
    loss_bbox=dict(_delete_=True, **rank_based_box_loss))
brs_rpn_head = dict(
    type='BRSRPNHead',
    reg_decoded_bbox=True,
    loss_box_space='unit_anchor',
    bbox_coder=dict(_delete_=True, **rank_based_bbox_coder),
    loss_cls=dict(rank_sort_loss, _delete_=True, loss_weight=0.2),
    loss_bbox=dict(_delete_=True, **rank_based_box_loss),
    **authors_box_loss_options)
all_proposals_sampler = dict(type='AllProposalsSampler', add_gt_as_proposals=True)
brs_train_cfg = dict(
    rpn=dict(sampler=dict(_delete_=True, type='PseudoSampler')),
    rcnn=dict(sampler=dict(_delete_=True, **all_proposals_sampler)))
brs_test_cfg = dict(rcnn=dict(score_thr=0.4))

# Mask R-CNN: the mask loss is a Dice loss per positive RoI (the authors' form: eps 1e-5 in the
# denominator), weighted by the RoI's max class score and self-balanced to the RoI ranking loss; at
# most 200 positives of the batch, drawn at random, train the mask head (their cap).
brs_mask_roi_head = dict(
    type='BRSStandardRoIHead',
    max_mask_positives=200,
    bbox_head=brs_bbox_head,
    mask_head=dict(
        type='BRSFCNMaskHead',
        loss_mask=dict(_delete_=True, type='DiceLoss', use_sigmoid=True, activate=True,
                       naive_dice=False, eps=5e-6, loss_weight=1.0)))

brs_images_per_gpu = 4
brs_lr = 0.012  # for 4 GPUs x 4 images
