# Swin-T (ImageNet-1k, 224 px) in place of ResNet-50, as in the released Co-Deformable-DETR Swin-T
# config. A detector config lists this file after its R50 config and takes the backbone and the
# widths it feeds the neck:
#   model = dict(backbone=_base_.swin_backbone, neck=dict(in_channels=_base_.swin_out_channels))
swin_pretrained = 'https://github.com/SwinTransformer/storage/releases/download/v1.0.0/swin_tiny_patch4_window7_224.pth'  # noqa
swin_backbone = dict(
    _delete_=True,
    type='SwinTransformer',
    embed_dims=96,
    depths=[2, 2, 6, 2],
    num_heads=[3, 6, 12, 24],
    window_size=7,
    mlp_ratio=4,
    qkv_bias=True,
    qk_scale=None,
    drop_rate=0.,
    attn_drop_rate=0.,
    drop_path_rate=0.2,
    patch_norm=True,
    out_indices=(1, 2, 3),
    with_cp=False,
    convert_weights=True,
    init_cfg=dict(type='Pretrained', checkpoint=swin_pretrained))
swin_out_channels = [192, 384, 768]
