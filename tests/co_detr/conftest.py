"""Fixtures for the Co-DETR tests: the tiny config, a fresh tiny model and demo batches."""
import copy
from pathlib import Path

import pytest
import torch

TINY_CONFIG = 'configs/co_detr/co_deformable_detr_tiny_1xb2-demo.py'


@pytest.fixture(scope='session')
def mmdet_scope():
    import projects.models  # noqa: F401  (registers the Co-DETR modules)
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    init_default_scope('mmdet')
    MMLogger.get_current_instance().setLevel('ERROR')  # init_weights logs every parameter


@pytest.fixture(scope='session')
def tiny_cfg(mmdet_scope, repo_root: Path, demo_coco: Path):
    from mmengine.config import Config

    cfg = Config.fromfile(str(repo_root / TINY_CONFIG))
    root = str(demo_coco) + '/'
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.dataset.data_root = root
    cfg.val_evaluator.ann_file = root + 'annotations.json'
    return cfg


@pytest.fixture(scope='session')
def demo_datasets(tiny_cfg):
    from mmdet.registry import DATASETS

    return (DATASETS.build(tiny_cfg.train_dataloader.dataset),
            DATASETS.build(tiny_cfg.val_dataloader.dataset))


@pytest.fixture
def build_tiny(tiny_cfg):
    """Builds an initialised tiny model (seeded), optionally with model-config edits."""
    from mmdet.registry import MODELS

    def build(edit=None, seed=0):
        model_cfg = copy.deepcopy(tiny_cfg.model)
        if edit is not None:
            edit(model_cfg)
        torch.manual_seed(seed)
        model = MODELS.build(model_cfg)
        model.init_weights()
        return model

    return build


@pytest.fixture
def train_batch(demo_datasets):
    """The first two demo images as a raw (not yet preprocessed) training batch."""
    from mmengine.dataset import pseudo_collate

    train_set, _ = demo_datasets
    return pseudo_collate([train_set[0], train_set[1]])


@pytest.fixture(scope='session')
def released_model(mmdet_scope, repo_root: Path):
    """Builds (once per session) the model of a released config, without loading weights."""
    from mmengine.config import Config

    from mmdet.registry import MODELS

    built = {}

    def build(name: str):
        if name not in built:
            cfg = Config.fromfile(str(repo_root / 'configs' / 'co_detr' / f'{name}.py'))
            built[name] = (cfg, MODELS.build(cfg.model))
        return built[name]

    return build
