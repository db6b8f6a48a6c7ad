"""Build the tiny configs' models on the demo set for tests."""
import copy

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope


def on_demo_data(cfg: Config, demo_root) -> Config:
    """``cfg`` reading the demo set from ``demo_root`` whatever the working directory."""
    cfg = copy.deepcopy(cfg)
    root = str(demo_root).rstrip('/') + '/'
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = root
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        evaluator.ann_file = root + 'annotations.json'
    return cfg


def build_model(cfg: Config, seed: int = 0):
    """The config's model, initialised from ``seed``, in training mode."""
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.train()


def small_rpn_head(**options):
    """A BRSRPNHead with 4 channels, one anchor per location on two levels, MaxIoU assignment and
    no sampling, for hand-made examples; ``options`` are BRSRPNHead keyword arguments."""
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    return MODELS.build(dict(
        type='BRSRPNHead',
        in_channels=4,
        feat_channels=4,
        anchor_generator=dict(type='AnchorGenerator', scales=[1], ratios=[1.0], strides=[8, 16]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4, target_stds=[1.] * 4),
        reg_decoded_bbox=True,
        loss_cls=dict(type='RankSortLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=1.0),
        train_cfg=ConfigDict(
            assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                          min_pos_iou=0.3, match_low_quality=True, ignore_iof_thr=-1),
            sampler=dict(type='PseudoSampler'),
            allowed_border=-1, pos_weight=-1, debug=False),
        **options))
