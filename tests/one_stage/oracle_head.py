"""Our BRS-ATSS head in the setting of the oracle's golden numbers (tools/oracle/golden_atss.py)."""
import sys

import torch
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from one_stage_configs import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / 'tools' / 'oracle'))
from golden_atss import (  # noqa: E402,F401  (re-exported for the tests)
    GROUND_TRUTH, HEAD_SETTINGS, TRAIN_SETTINGS, head_inputs, img_metas, inputs_sha256)


def atss_head(**options):
    """BRSATSSHead with the golden head settings, the released configs' losses (BRS, GIoU at
    mmdet's ATSS weight 2, which self-balancing cancels) and options, e.g. ``loss_cls=...``."""
    import brs_detr.models  # noqa: F401  (registers the heads)
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    settings = dict(type='BRSATSSHead', **HEAD_SETTINGS,
                    loss_cls=dict(type='RankSortLoss', use_sigmoid=True, delta=0.5),
                    loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
                    train_cfg=ConfigDict(TRAIN_SETTINGS))
    settings.update(options)
    return MODELS.build(settings)


def ground_truth():
    return [InstanceData(bboxes=torch.tensor(gt['bboxes']), labels=torch.tensor(gt['labels']))
            for gt in GROUND_TRUTH]
