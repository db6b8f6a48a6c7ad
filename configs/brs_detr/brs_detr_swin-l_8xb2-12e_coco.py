# BRS-DETR, Swin-L (ImageNet-22k, 384, window 12), 12 epochs on COCO (thesis Sec. 4.1; COCO val AP
# 57.2): the Swin-T BRS-DETR config with the Swin-L backbone and neck widths, as
# co_detr/co_deformable_detr_swin-l_8xb2-12e_coco.py sets them for Co-DETR.
_base_ = './brs_detr_swin-t_8xb2-12e_coco.py'
pretrained = 'https://github.com/SwinTransformer/storage/releases/download/v1.0.0/swin_large_patch4_window12_384_22k.pth'  # noqa
model = dict(
    backbone=dict(
        pretrain_img_size=384,
        embed_dims=192,
        depths=[2, 2, 18, 2],
        num_heads=[6, 12, 24, 48],
        window_size=12,
        drop_path_rate=0.3,
        init_cfg=dict(checkpoint=pretrained)),
    neck=dict(in_channels=[384, 768, 1536]))
