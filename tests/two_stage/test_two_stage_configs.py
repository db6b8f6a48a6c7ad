"""Every Faster / Cascade / Mask R-CNN config builds, with the ranking loss it names in every
classification head and no sampling where the thesis drops it (Sec. 4.4, 4.5)."""
import functools
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from brs_detr.models import AllProposalsSampler, BRSFCNMaskHead, BRSShared2FCBBoxHead
from brs_detr.models.losses import RankingLoss, RankSortLoss

REPO = Path(__file__).resolve().parents[2]
FAMILIES = ('faster_rcnn', 'cascade_rcnn', 'mask_rcnn')
LOSSES = ('brs', 'rs', 'ce')  # the loss token of a config name: ..._{loss}_4xb4-...


def loss_of(path):
    return next(token for token in Path(path).name.split('_') if token in LOSSES)


CONFIGS = sorted(str(path.relative_to(REPO)) for family in FAMILIES
                 for path in (REPO / 'configs' / family).glob('*_4xb4-*.py'))
RANKING_CONFIGS = [path for path in CONFIGS if loss_of(path) in ('brs', 'rs')]


@functools.lru_cache(maxsize=None)
def _config(path):
    return Config.fromfile(REPO / path)


def _build(path):
    """The config's model, on the meta device: every module is constructed and configured, no
    tensor is allocated or initialised (and no pretrained weight downloaded)."""
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    with torch.device('meta'):
        return MODELS.build(_config(path).model)


def _box_heads(model):
    heads = model.roi_head.bbox_head
    return list(heads) if isinstance(heads, torch.nn.ModuleList) else [heads]


def test_every_table_row_has_a_config():
    names = {Path(path).name for path in CONFIGS}
    assert all(len([t for t in name.split('_') if t in LOSSES]) == 1 for name in names)
    for loss in ('brs', 'rs', 'ce'):
        assert f'faster-rcnn_r50_fpn_{loss}_4xb4-12e_coco.py' in names
        assert f'cascade-rcnn_r50_fpn_{loss}_4xb4-12e_coco.py' in names
        assert f'mask-rcnn_r50_fpn_{loss}_4xb4-12e_coco.py' in names
        assert f'mask-rcnn_r50_fpn_{loss}_4xb4-8e_cityscapes.py' in names
        assert f'mask-rcnn_r50_fpn_sample1e-3_{loss}_4xb4-ms-12e_lvis-v1.py' in names
    for loss in ('brs', 'rs'):
        assert f'faster-rcnn_r101-mdconv-c3-c5_fpn_{loss}_4xb4-ms-36e_coco.py' in names
        assert f'mask-rcnn_r101_fpn_{loss}_4xb4-ms-36e_coco.py' in names
    assert 'cascade-rcnn_r50_fpn_brs_4xb4-36e_coco.py' in names  # Table 4.5
    assert 'mask-rcnn_r50_fpn_brs_4xb4-27e_coco.py' in names


@pytest.mark.parametrize('path', RANKING_CONFIGS)
def test_ranking_config_builds_with_its_loss_everywhere(path):
    from mmdet.models.losses import CrossEntropyLoss, FocalLoss
    from mmdet.models.task_modules.samplers import PseudoSampler

    bucketed = loss_of(path) == 'brs'
    model = _build(path)
    ranking = [m for m in model.modules() if isinstance(m, RankingLoss)]
    heads = [model.rpn_head] + _box_heads(model)
    assert len(ranking) == len(heads)  # one per classification head, nothing else ranks
    for head in heads:
        assert type(head.loss_cls) is RankSortLoss
        assert head.loss_cls.bucketed is bucketed and head.loss_cls.delta == 0.5
        assert head.reg_decoded_bbox and type(head.loss_bbox).__name__ == 'GIoULoss'
    assert model.rpn_head.loss_cls.loss_weight == pytest.approx(0.2)
    assert not [m for m in model.modules() if isinstance(m, (CrossEntropyLoss, FocalLoss))]
    for head in _box_heads(model):
        assert isinstance(head, BRSShared2FCBBoxHead)
        assert head.fc_cls.out_features == head.num_classes  # class-wise sigmoid, no background
        assert head.zero_iou_negative and head.max_score_box_weights  # the authors' settings
    assert model.rpn_head.loss_box_space == 'unit_anchor'
    # no sampling: all anchors in the RPN, all proposals (plus the ground truth) in the RoI heads
    assert type(model.rpn_head.sampler) is PseudoSampler
    samplers = model.roi_head.bbox_sampler
    samplers = samplers if isinstance(samplers, list) else [samplers]
    assert samplers and all(type(s) is AllProposalsSampler and s.add_gt_as_proposals
                            for s in samplers)
    if 'mask_rcnn' in path:
        assert isinstance(model.roi_head.mask_head, BRSFCNMaskHead)
        assert type(model.roi_head.mask_head.loss_mask).__name__ == 'DiceLoss'
        assert model.roi_head.max_mask_positives == 200


@pytest.mark.parametrize('path', [p for p in RANKING_CONFIGS if loss_of(p) == 'rs'])
def test_rs_config_is_the_brs_config_unbucketed(path):
    def flip(node):
        if isinstance(node, dict):
            return {k: (True if k == 'bucketed' else flip(v)) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return type(node)(flip(v) for v in node)
        return node

    rs = _config(path).to_dict()
    brs = _config(path.replace('_rs_', '_brs_')).to_dict()
    assert rs != brs
    assert flip(rs['model']) == brs['model']
    rs.pop('model'), brs.pop('model')
    assert rs == brs


def test_cascade_stages_keep_their_iou_thresholds_and_equal_weights():
    cfg = _config('configs/cascade_rcnn/cascade-rcnn_r50_fpn_brs_4xb4-12e_coco.py')
    assert [stage.assigner.pos_iou_thr for stage in cfg.model.train_cfg.rcnn] == [0.5, 0.6, 0.7]
    assert cfg.model.roi_head.stage_loss_weights == [1, 1, 1]
    assert cfg.model.train_cfg.rpn_proposal.max_per_img == 1000
    assert all(stage.bbox_coder.target_stds == [0.1, 0.1, 0.2, 0.2]
               for stage in cfg.model.roi_head.bbox_head)


@pytest.mark.parametrize('path', [p for p in CONFIGS if loss_of(p) == 'ce'])
def test_cross_entropy_baselines_build(path):
    model = _build(path)
    assert not [m for m in model.modules() if isinstance(m, RankingLoss)]
    assert _config(path).train_dataloader.batch_size == 4


def test_lvis_config_ranks_1203_classes():
    cfg = _config('configs/mask_rcnn/mask-rcnn_r50_fpn_sample1e-3_brs_4xb4-ms-12e_lvis-v1.py')
    assert cfg.model.roi_head.bbox_head.num_classes == 1203
    assert cfg.model.roi_head.mask_head.num_classes == 1203
    assert cfg.model.test_cfg.rcnn.score_thr == 0.6 and cfg.model.test_cfg.rcnn.max_per_img == 300
    assert cfg.train_dataloader.dataset.type == 'ClassBalancedDataset'
