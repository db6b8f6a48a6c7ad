"""Build the tiny configs' models on the demo set for tests."""
import copy

import torch
from mmengine.config import Config
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
