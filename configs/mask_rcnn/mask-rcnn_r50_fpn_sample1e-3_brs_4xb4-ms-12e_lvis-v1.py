# BRS Mask R-CNN, ResNet-50 FPN, on LVIS v1 (1,203 classes; thesis Table 4.4: mask AP 25.8, T_iter
# 0.35 s vs 0.87 s with RS Loss and 0.32 s with cross-entropy). mmdet's LVIS Mask R-CNN (repeat
# factor sampling at 1e-3, short side drawn from 640-800, 12 epochs) with the changes of
# ../faster_rcnn/rank_based_rcnn.py, lr 0.012 for 4 GPUs x 4 images and the authors' test score
# threshold 0.6 (up to 300 detections per image, the LVIS limit).
_base_ = ['mmdet::lvis/mask-rcnn_r50_fpn_sample1e-3_ms-1x_lvis-v1.py',
          '../faster_rcnn/rank_based_rcnn.py']

model = dict(
    rpn_head=_base_.brs_rpn_head,
    roi_head=_base_.brs_mask_roi_head,
    train_cfg=_base_.brs_train_cfg,
    test_cfg=dict(rcnn=dict(score_thr=0.6, max_per_img=300)))

train_dataloader = dict(batch_size=_base_.brs_images_per_gpu)
optim_wrapper = dict(optimizer=dict(lr=_base_.brs_lr))
auto_scale_lr = dict(base_batch_size=16)
