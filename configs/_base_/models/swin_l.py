# Swin-L (ImageNet-22k, 384 px, window 12) in place of ResNet-50, as in the released
# Co-Deformable-DETR Swin-L config: Swin-T widened and deepened. Used as swin_t.py is.
_base_ = './swin_t.py'
swin_pretrained = 'https://github.com/SwinTransformer/storage/releases/download/v1.0.0/swin_large_patch4_window12_384_22k.pth'  # noqa
swin_backbone = dict(
    pretrain_img_size=384,
    embed_dims=192,
    depths=[2, 2, 18, 2],
    num_heads=[6, 12, 24, 48],
    window_size=12,
    drop_path_rate=0.3,
    init_cfg=dict(checkpoint=swin_pretrained))
swin_out_channels = [384, 768, 1536]
