"""Fixtures of the two-stage tests: the demo set with boxes and instance masks (its polygons)."""
import copy

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

DEMO_DATA = 'configs/_base_/datasets/demo_coco.py'


def _with_masks(pipeline):
    for step in pipeline:
        if step['type'] == 'LoadAnnotations':
            step['with_mask'] = True
    return pipeline


@pytest.fixture(scope='session')
def demo_sets(repo_root, demo_coco):
    """(train, val) demo datasets, unaugmented, with boxes and masks; and the annotation file."""
    from mmdet.registry import DATASETS
    init_default_scope('mmdet')
    cfg = Config.fromfile(repo_root / DEMO_DATA)
    root = str(demo_coco).rstrip('/') + '/'
    sets = []
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        dataset = copy.deepcopy(loader.dataset)
        dataset.data_root = root
        dataset.pipeline = _with_masks(dataset.pipeline)
        sets.append(DATASETS.build(dataset))
    return sets[0], sets[1], root + 'annotations.json'


@pytest.fixture(scope='session')
def demo_batch(demo_sets):
    """All 3 training images in one batch (boxes and masks), as the data loader collates them."""
    from mmengine.dataset import pseudo_collate
    train_set = demo_sets[0]
    return pseudo_collate([train_set[i] for i in range(len(train_set))])
