"""The one-stage detector configs (thesis Table 4.1, 4.6, 4.7) and their tiny CPU variants."""
import copy
from pathlib import Path

from mmengine.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
FAMILIES = ('atss', 'paa', 'retinanet')
LOSSES = {'atss': ('ap', 'bap', 'rs', 'brs'), 'paa': ('ap', 'bap', 'rs', 'brs'),
          'retinanet': ('brs', )}
HEAD_TYPES = {'atss': 'BRSATSSHead', 'paa': 'BRSPAAHead', 'retinanet': 'BRSRetinaHead'}
DEMO_DATASET = 'configs/_base_/datasets/demo_coco.py'


def config_name(family: str, loss: str) -> str:
    """Path under configs/ of ``family`` trained with ``loss`` ('focal' = mmdet's baseline)."""
    return f'{family}/{family}_r50_fpn_{loss}_8xb2-12e_coco.py'


def load(family: str, loss: str) -> Config:
    return Config.fromfile(REPO_ROOT / 'configs' / config_name(family, loss))


def tiny_variant(cfg: Config, demo_root) -> Config:
    """``cfg``'s detector with exactly its losses and assignment, shrunk for the CPU: a randomly
    initialised ResNet-18 at a quarter of the width, 32-channel FPN and one stacked conv in the
    head, the demo set's 20 classes and images of at most 256 px (``DEMO_DATASET``)."""
    from tiny_model import on_demo_data

    cfg = copy.deepcopy(cfg)
    cfg.model.backbone.update(depth=18, base_channels=16, init_cfg=None, frozen_stages=-1,
                              norm_eval=False)
    cfg.model.neck.update(in_channels=[16, 32, 64, 128], out_channels=32)
    cfg.model.bbox_head.update(in_channels=32, feat_channels=32, stacked_convs=1, num_classes=20)
    demo = Config.fromfile(REPO_ROOT / DEMO_DATASET)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_evaluator'):
        cfg[key] = copy.deepcopy(demo[key])
    return on_demo_data(cfg, demo_root)
