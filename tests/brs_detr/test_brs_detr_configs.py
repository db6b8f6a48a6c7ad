"""BRS-DETR configs change exactly the thesis' settings of the Co-DETR configs (Sec. 3.5, 4.1)."""
import pytest
from mmengine.config import Config

COMPARED = ('model', 'param_scheduler', 'optim_wrapper', 'train_cfg', 'custom_imports')
ABSENT = '<absent>'


def _leaves(node, path=''):
    if isinstance(node, dict):
        return {k: v for key, value in node.items()
                for k, v in _leaves(value, f'{path}.{key}' if path else key).items()}
    if isinstance(node, (list, tuple)):
        return {k: v for i, value in enumerate(node)
                for k, v in _leaves(value, f'{path}.{i}').items()}
    return {path: node}


def config_diff(repo_root, old: str, new: str) -> dict:
    """{leaf path: (old value, new value)} over the settings that define training."""
    old_cfg, new_cfg = (Config.fromfile(repo_root / 'configs' / name).to_dict()
                        for name in (old, new))
    before = _leaves({key: old_cfg.get(key) for key in COMPARED})
    after = _leaves({key: new_cfg.get(key) for key in COMPARED})
    return {path: (before.get(path, ABSENT), after.get(path, ABSENT))
            for path in sorted(set(before) | set(after))
            if before.get(path, ABSENT) != after.get(path, ABSENT)}


# The thesis' changes, as (path, new value); removed keys of replaced dicts have new value ABSENT.
BRS_CHANGES = {
    'custom_imports.imports.1': 'brs_detr.models',
    # query head: BRS replaces Focal Loss at the same weight; box losses self-balanced in the head
    'model.query_head.type': 'BRSCoDeformDETRHead',
    'model.query_head.loss_cls.type': 'RankSortLoss',
    'model.query_head.loss_cls.bucketed': True,
    'model.query_head.loss_cls.alpha': ABSENT,
    'model.query_head.loss_cls.gamma': ABSENT,
    # Hungarian classification cost 2 -> 4
    'model.train_cfg.0.assigner.match_costs.0.weight': 4.0,
    # RPN: BRS over all anchors (aux weight 5 x RS-R-CNN's RPN weight 0.2), GIoU
    'model.rpn_head.type': 'BRSRPNHead',
    'model.rpn_head.reg_decoded_bbox': True,
    'model.rpn_head.loss_cls.type': 'RankSortLoss',
    'model.rpn_head.loss_cls.bucketed': True,
    'model.rpn_head.loss_cls.loss_weight': 1.0,
    'model.rpn_head.loss_bbox.type': 'GIoULoss',
    'model.rpn_head.loss_bbox.loss_weight': 1.0,
    # RoI head: class-wise sigmoid BRS, aux weight 5
    'model.roi_head.0.bbox_head.type': 'BRSShared2FCBBoxHead',
    'model.roi_head.0.bbox_head.loss_cls.type': 'RankSortLoss',
    'model.roi_head.0.bbox_head.loss_cls.use_sigmoid': True,
    'model.roi_head.0.bbox_head.loss_cls.bucketed': True,
    'model.roi_head.0.bbox_head.loss_cls.loss_weight': 5.0,
    # ATSS: BRS, aux weight 5, no centerness
    'model.bbox_head.0.type': 'BRSCoATSSHead',
    'model.bbox_head.0.loss_cls.type': 'RankSortLoss',
    'model.bbox_head.0.loss_cls.bucketed': True,
    'model.bbox_head.0.loss_cls.loss_weight': 5.0,
    'model.bbox_head.0.loss_cls.alpha': ABSENT,
    'model.bbox_head.0.loss_cls.gamma': ABSENT,
    'model.bbox_head.0.loss_centerness': None,
    'model.bbox_head.0.loss_centerness.type': ABSENT,
    'model.bbox_head.0.loss_centerness.use_sigmoid': ABSENT,
    'model.bbox_head.0.loss_centerness.loss_weight': ABSENT,
    # no sampling in Faster R-CNN
    **{f'model.train_cfg.1.{stage}.sampler.{key}': value
       for stage in ('rpn', 'rcnn')
       for key, value in dict(type='PseudoSampler', num=ABSENT, pos_fraction=ABSENT,
                              neg_pos_ub=ABSENT, add_gt_as_proposals=ABSENT).items()},
}
# Where the authors' released code did what the thesis does not say, the released configs do what
# it did (README, "Differences from the official code"); the _intended config flips these.
AUTHORS_CODE = {
    'model.query_head.zero_iou_negative': True,
    'model.rpn_head.loss_box_space': 'unit_anchor',
    **{f'model.{head}.{key}': value
       for head in ('rpn_head', 'roi_head.0.bbox_head', 'bbox_head.0')
       for key, value in dict(zero_iou_negative=True, max_score_box_weights=False).items()},
}
# ... and the authors' RPN hands its nms_post = 4000 proposals to the RoI head (Co-DETR: 1000),
# zero-size ones included (mmdet drops them unless min_bbox_size < 0)
ZERO_SIZE_PROPOSALS = {'model.train_cfg.1.rpn_proposal.min_bbox_size': -1,
                       'model.test_cfg.1.rpn.min_bbox_size': -1}
AUTHORS_PROPOSALS = {'model.train_cfg.1.rpn_proposal.max_per_img': 4000, **ZERO_SIZE_PROPOSALS}
# the tiny demo: all proposals up to its nms_pre (1000), as the authors' 4000 = their nms_pre
TINY_PROPOSALS = {'model.train_cfg.1.rpn_proposal.max_per_img': 1000, **ZERO_SIZE_PROPOSALS}
# The thesis' intent: every switch flipped, Co-DETR's 1000 training proposals.
THESIS_INTENT = {
    **{path: not value for path, value in AUTHORS_CODE.items() if isinstance(value, bool)},
    'model.rpn_head.loss_box_space': 'image',
}
# The 12-epoch COCO schedule: lr divided by 5 after epochs 10 and 11 (the tiny demo keeps its own).
SCHEDULE_CHANGES = {
    'param_scheduler.0.milestones.0': 10,
    'param_scheduler.0.milestones.1': 11,
    'param_scheduler.0.gamma': 0.2,
}


RELEASED = {**BRS_CHANGES, **SCHEDULE_CHANGES, **AUTHORS_CODE, **AUTHORS_PROPOSALS}


@pytest.mark.parametrize('co_detr, brs_detr, changes', [
    ('co_detr/co_deformable_detr_r50_8xb2-12e_coco.py', 'brs_detr/brs_detr_r50_8xb2-12e_coco.py',
     RELEASED),
    ('co_detr/co_deformable_detr_swin-t_8xb2-12e_coco.py',
     'brs_detr/brs_detr_swin-t_8xb2-12e_coco.py', RELEASED),
    ('co_detr/co_deformable_detr_swin-l_8xb2-12e_coco.py',
     'brs_detr/brs_detr_swin-l_8xb2-12e_coco.py', RELEASED),
    ('co_detr/co_deformable_detr_tiny_1xb2-demo.py', 'brs_detr/brs_detr_tiny_1xb2-demo.py',
     {**BRS_CHANGES, **AUTHORS_CODE, **TINY_PROPOSALS}),
    ('co_detr/co_deformable_detr_r50_8xb2-12e_coco.py',
     'brs_detr/brs_detr_r50_8xb2-12e_coco_intended.py',
     {**BRS_CHANGES, **SCHEDULE_CHANGES, **THESIS_INTENT}),
])
def test_brs_detr_config_is_co_detr_with_the_thesis_changes(repo_root, co_detr, brs_detr,
                                                             changes):
    diff = config_diff(repo_root, co_detr, brs_detr)
    assert {path: new for path, (_, new) in diff.items()} == changes


def test_r50_changes_matcher_2_to_4_and_aux_weights_12_to_5(repo_root):
    diff = config_diff(repo_root, 'co_detr/co_deformable_detr_r50_8xb2-12e_coco.py',
                       'brs_detr/brs_detr_r50_8xb2-12e_coco.py')
    assert diff['model.train_cfg.0.assigner.match_costs.0.weight'] == (2.0, 4.0)
    assert diff['model.roi_head.0.bbox_head.loss_cls.loss_weight'] == (12.0, 5.0)
    assert diff['model.bbox_head.0.loss_cls.loss_weight'] == (12.0, 5.0)
    assert diff['model.query_head.loss_cls.type'] == ('FocalLoss', 'RankSortLoss')
    assert 'model.query_head.loss_cls.loss_weight' not in diff  # BRS at Focal's weight, 2.0


def test_intended_variant_flips_every_authors_code_switch(repo_root):
    diff = config_diff(repo_root, 'brs_detr/brs_detr_r50_8xb2-12e_coco.py',
                       'brs_detr/brs_detr_r50_8xb2-12e_coco_intended.py')
    assert diff == {
        'model.train_cfg.1.rpn_proposal.max_per_img': (4000, 1000),
        **{path: (-1, 0) for path in ZERO_SIZE_PROPOSALS},
        **{path: (AUTHORS_CODE[path], value) for path, value in THESIS_INTENT.items()},
    }


def test_rs_detr_is_brs_detr_unbucketed(repo_root):
    diff = config_diff(repo_root, 'brs_detr/brs_detr_r50_8xb2-12e_coco.py',
                       'brs_detr/rs_detr_r50_8xb2-12e_coco.py')
    assert diff == {
        f'model.{head}.loss_cls.bucketed': (True, False)
        for head in ('query_head', 'rpn_head', 'roi_head.0.bbox_head', 'bbox_head.0')
    }


@pytest.mark.parametrize('backbone', ['r50', 'swin-t', 'swin-l'])
def test_released_brs_detr_models_are_co_detr_without_centerness_and_background_logit(
        repo_root, backbone):
    """Building each released config: BRS-DETR has Co-DETR's parameters except ATSS' centerness
    conv (3x3, 1 output) and the RoI classifier's background row."""
    from mmengine.registry import init_default_scope

    from brs_detr.models import RankSortLoss
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    name = f'{backbone}_8xb2-12e_coco.py'
    co_model, brs_model = (MODELS.build(Config.fromfile(repo_root / 'configs' / path).model)
                           for path in (f'co_detr/co_deformable_detr_{name}',
                                        f'brs_detr/brs_detr_{name}'))
    ranking_losses = [m for m in brs_model.modules() if isinstance(m, RankSortLoss)]
    assert len(ranking_losses) == 4 and all(loss.bucketed for loss in ranking_losses)
    atss, roi = brs_model.bbox_head[0], brs_model.roi_head[0].bbox_head
    centerness = atss.feat_channels * 3 * 3 + 1
    background_row = roi.fc_cls.in_features + 1

    def count(model):
        return sum(p.numel() for p in model.parameters())

    assert count(co_model) - count(brs_model) == centerness + background_row
