"""One-stage configs change exactly the thesis' settings of mmdet's baselines (Sec. 4.1, 4.3, 4.6),
build at full size, and hold the configured ranking loss (Table 4.1, 4.6, 4.7)."""
import pytest
from mmengine.registry import init_default_scope

from brs_detr.models import APLoss, RankSortLoss
from one_stage_configs import FAMILIES, HEAD_TYPES, LOSSES, REPO_ROOT, config_name, load
from test_brs_detr_configs import ABSENT, config_diff

# What every ranking-loss config changes in mmdet's Focal-Loss baseline, as (path, new value).
RANKING_CHANGES = {
    'custom_imports': ABSENT,  # mmdet's baseline has none
    'custom_imports.imports.0': 'brs_detr.models',
    'custom_imports.allow_failed_imports': False,
    'model.bbox_head.loss_cls.type': 'RankSortLoss',
    'model.bbox_head.loss_cls.delta': 0.5,
    'model.bbox_head.loss_cls.bucketed': True,
    'model.bbox_head.loss_cls.alpha': ABSENT,
    'model.bbox_head.loss_cls.gamma': ABSENT,
    # the authors' one-stage heads: IoU-0 positives rank as negatives, max-score-weighted GIoU
    'model.bbox_head.zero_iou_negative': True,
    'model.bbox_head.max_score_box_weights': True,
    'optim_wrapper.optimizer.lr': 0.008,
}
# ATSS and PAA: no quality branch, 3 anchors per location (RS-ATSS / RS-PAA of the RS-Loss code)
QUALITY_BRANCH_AND_ANCHORS = {
    'model.bbox_head.loss_centerness': None,
    'model.bbox_head.loss_centerness.type': ABSENT,
    'model.bbox_head.loss_centerness.use_sigmoid': ABSENT,
    'model.bbox_head.loss_centerness.loss_weight': ABSENT,
    'model.bbox_head.anchor_generator.octave_base_scale': 4,
    'model.bbox_head.anchor_generator.scales_per_octave': 3,
}
BRS_CHANGES = {
    'atss': {**RANKING_CHANGES, **QUALITY_BRANCH_AND_ANCHORS,
             'model.bbox_head.type': 'BRSATSSHead'},
    'paa': {**RANKING_CHANGES, **QUALITY_BRANCH_AND_ANCHORS,
            'model.bbox_head.type': 'BRSPAAHead',
            # PAA's GMM keeps scoring candidates with Focal Loss + GIoU, GIoU at weight 1 (not 1.3)
            'model.bbox_head.loss_gmm_cls.type': 'FocalLoss',
            'model.bbox_head.loss_gmm_cls.use_sigmoid': True,
            'model.bbox_head.loss_gmm_cls.gamma': 2.0,
            'model.bbox_head.loss_gmm_cls.alpha': 0.25,
            'model.bbox_head.loss_gmm_cls.loss_weight': 1.0,
            'model.bbox_head.loss_bbox.loss_weight': 1.0},
    'retinanet': {**RANKING_CHANGES,
                  'model.bbox_head.type': 'BRSRetinaHead',
                  # GIoU on decoded boxes in place of L1 on deltas
                  'model.bbox_head.reg_decoded_bbox': True,
                  'model.bbox_head.loss_bbox.type': 'GIoULoss'},
}
# the authors' AP/BAP deltas: 1.0 in RankBasedATSSHead, the head's 0.5 in RankBasedPAAHead
AP_DELTA = {'atss': 1.0, 'paa': 0.5}


def _new_values(old, new):
    return {path: after for path, (_, after) in config_diff(REPO_ROOT, old, new).items()}


@pytest.mark.parametrize('family', FAMILIES)
def test_brs_config_is_mmdet_baseline_with_the_thesis_changes(family):
    assert _new_values(config_name(family, 'focal'),
                       config_name(family, 'brs')) == BRS_CHANGES[family]


@pytest.mark.parametrize('family', ['atss', 'paa'])
def test_rs_bap_ap_configs_change_only_the_loss(family):
    brs, rs, bap, ap = (config_name(family, loss) for loss in ('brs', 'rs', 'bap', 'ap'))
    assert _new_values(brs, rs) == {'model.bbox_head.loss_cls.bucketed': False}
    delta = {} if AP_DELTA[family] == 0.5 else {'model.bbox_head.loss_cls.delta': AP_DELTA[family]}
    # the authors' AP path ranks 0/1 labels: IoU-0 positives stay positive
    assert _new_values(brs, bap) == {'model.bbox_head.loss_cls.type': 'APLoss', **delta,
                                     'model.bbox_head.zero_iou_negative': False,
                                     'model.bbox_head.self_balance_box': False}
    assert _new_values(bap, ap) == {'model.bbox_head.loss_cls.bucketed': False}


def _count(model):
    return sum(p.numel() for p in model.parameters())


def _conv3x3(head, out_channels):
    return head.feat_channels * 9 * out_channels + out_channels


@pytest.mark.parametrize('family', FAMILIES)
def test_r50_models_build_with_the_configured_ranking_loss(family):
    """Each full-size config builds (no weights loaded); its head is the BRS head with the
    configured loss; parameters are mmdet's baseline's less the quality branch (ATSS' centerness,
    PAA's IoU conv), with cls/reg convs for 3 anchors per location instead of 1."""
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    baseline = MODELS.build(load(family, 'focal').model)
    base_head = baseline.bbox_head
    for loss in LOSSES[family]:
        model = MODELS.build(load(family, loss).model)
        head = model.bbox_head
        assert type(head).__name__ == HEAD_TYPES[family]
        assert isinstance(head.loss_cls, APLoss if 'ap' in loss else RankSortLoss)
        assert head.loss_cls.bucketed == loss.startswith('b')
        assert head.loss_cls.delta == (AP_DELTA[family] if 'ap' in loss else 0.5)
        if family == 'retinanet':
            assert _count(model) == _count(baseline)
            continue
        assert not hasattr(head, 'atss_centerness') and head.loss_centerness is None
        classes, anchors, base_anchors = head.num_classes, head.num_base_priors, \
            base_head.num_base_priors
        assert (anchors, base_anchors) == (3, 1)
        dropped = _conv3x3(head, base_anchors)  # the quality branch
        grown = sum(_conv3x3(head, anchors * n) - _conv3x3(head, base_anchors * n)
                    for n in (classes, 4))
        assert _count(baseline) - _count(model) == dropped - grown
