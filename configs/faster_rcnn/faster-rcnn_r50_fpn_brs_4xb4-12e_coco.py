# BRS Faster R-CNN, ResNet-50 FPN, 12 epochs on COCO, 4 GPUs x 4 images (thesis Table 4.2: 39.5 AP,
# T_iter 0.17 s vs 0.50 s with RS Loss). mmdet's Faster R-CNN with the changes of
# rank_based_rcnn.py: BRS in the RPN and the RoI head, no sampling, sigmoid RoI scores,
# self-balanced GIoU, lr 0.012; mmdet's 1x schedule (lr / 10 after epochs 8 and 11).
_base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py', './rank_based_rcnn.py']

model = dict(
    rpn_head=_base_.brs_rpn_head,
    roi_head=dict(bbox_head=_base_.brs_bbox_head),
    train_cfg=_base_.brs_train_cfg,
    test_cfg=_base_.brs_test_cfg)

train_dataloader = dict(batch_size=_base_.brs_images_per_gpu)
optim_wrapper = dict(optimizer=dict(lr=_base_.brs_lr))
auto_scale_lr = dict(base_batch_size=16)
