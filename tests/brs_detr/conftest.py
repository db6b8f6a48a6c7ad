"""Fixtures of the BRS-DETR tests: the tiny configs on the demo set, a real batch, built models."""
import copy

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tiny_model import build_model, on_demo_data

BRS_TINY = 'configs/brs_detr/brs_detr_tiny_1xb2-demo.py'


@pytest.fixture(scope='session')
def brs_tiny_cfg(repo_root, demo_coco) -> Config:
    return on_demo_data(Config.fromfile(repo_root / BRS_TINY), demo_coco)


@pytest.fixture(scope='session')
def demo_batch(brs_tiny_cfg):
    """The first training batch of the demo set (2 real images with boxes), unaugmented."""
    from mmengine.runner import Runner
    init_default_scope('mmdet')
    cfg = copy.deepcopy(brs_tiny_cfg.train_dataloader)
    cfg.sampler.shuffle = False
    batch = next(iter(Runner.build_dataloader(cfg, seed=0)))
    assert all(len(sample.gt_instances) > 0 for sample in batch['data_samples'])
    return batch


@pytest.fixture
def brs_tiny_model(brs_tiny_cfg):
    return build_model(brs_tiny_cfg)
