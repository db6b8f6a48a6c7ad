# Released optimiser: AdamW 2e-4, weight decay 1e-4, lr x0.1 for the backbone and for the
# deformable attention's sampling offsets / reference points, gradient clipping at 0.1.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'sampling_offsets': dict(lr_mult=0.1),
            'reference_points': dict(lr_mult=0.1)
        }))

max_epochs = 12
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[11],
         gamma=0.1)
]
# Total batch 16 = 8 GPUs x 2 images; `--auto-scale-lr` rescales lr for other batch sizes.
auto_scale_lr = dict(base_batch_size=16)
