# BRS-DETR R50 as the thesis describes it, where the authors' released code did otherwise (README,
# "Differences from the official code"): brs_detr_r50_8xb2-12e_coco.py with its switches flipped.
#   - the RPN hands 1000 proposals per image to the RoI head in training and drops zero-size ones
#     (Co-DETR's settings);
#   - a matched prediction whose box has IoU 0 stays a positive, ranked last (target 1e-6);
#   - the RPN's IoU targets and GIoU are on its boxes in pixels (decoded on their anchors);
#   - the aux heads weight each positive's GIoU by its max score (RS Loss, Eq. 3.56).
_base_ = './brs_detr_r50_8xb2-12e_coco.py'

thesis_aux_losses = dict(zero_iou_negative=False, max_score_box_weights=True)

model = dict(
    query_head=dict(zero_iou_negative=False),
    rpn_head=dict(loss_box_space='image', **thesis_aux_losses))
_base_.model.roi_head[0].bbox_head.update(thesis_aux_losses)
_base_.model.bbox_head[0].update(thesis_aux_losses)
_base_.model.train_cfg[1].rpn_proposal.update(max_per_img=1000, min_bbox_size=0)
_base_.model.test_cfg[1].rpn.min_bbox_size = 0
