"""RS and BRS Faster R-CNN against the authors' code: one training step of our configs at CI sizes
(ResNet-18, 64-channel FPN, RoI fc 256) with the weights of the golden files' official tensor
names and the demo photo reproduces every loss and the gradient norm of every module group of
blisgard/BucketedRankingBasedLosses' released Faster R-CNN configs (golden numbers from
``tools/oracle/golden_faster_rcnn.py``, run in the mmdet 2.x oracle env).

Tolerances, relative to the golden value: losses 1e-5 and gradient norms 1e-4 -- the same float32
arithmetic in a different order on both sides (as for BRS-DETR, tests/oracle)."""
import copy
import json
import sys

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

CONFIGS = {
    'brs': 'configs/faster_rcnn/faster-rcnn_r50_fpn_brs_4xb4-12e_coco.py',
    'rs': 'configs/faster_rcnn/faster-rcnn_r50_fpn_rs_4xb4-12e_coco.py',
}
LOSS_RTOL = 1e-5
GRAD_RTOL = 1e-4


@pytest.fixture(scope='module')
def oracle(repo_root):
    sys.path.insert(0, str(repo_root))
    sys.path.insert(0, str(repo_root / 'tools' / 'oracle'))
    from tools.oracle import compare, golden_faster_rcnn, golden_inputs
    return compare, golden_faster_rcnn, golden_inputs


def _ours(kind, golden, oracle, repo_root, demo_coco):
    compare, golden_faster_rcnn, gi = oracle
    from mmdet.registry import MODELS
    sample = gi.load_input(demo_coco / 'images', demo_coco / 'annotations.json')
    for key in ('photo_sha256', 'resized_sha256'):
        assert sample[key] == golden['input'][key], f'golden input mismatch ({key})'
    init_default_scope('mmdet')
    model_cfg = copy.deepcopy(Config.fromfile(repo_root / CONFIGS[kind]).model)
    model = MODELS.build(golden_faster_rcnn.shrink(model_cfg))
    model.load_state_dict(golden_faster_rcnn.golden_state_dict(golden['state_dict']), strict=True)
    model.train()
    with gi.deterministic_randperm():
        raw = model.loss(sample['img'], [compare._data_sample(sample, True)])
    total = sum(value for key, value in raw.items() if 'loss' in key)
    total.backward()
    norms = gi.grad_norms((n, p.grad) for n, p in model.named_parameters() if p.requires_grad)
    return dict(losses={k: float(v) for k, v in raw.items()}, grad_norms=norms)


@pytest.mark.parametrize('kind', list(CONFIGS))
def test_one_training_step_matches_the_authors_code(kind, oracle, repo_root, demo_coco):
    golden = json.loads((repo_root / 'tests' / 'oracle' / f'faster_rcnn_{kind}.json').read_text())
    ours = _ours(kind, golden, oracle, repo_root, demo_coco)
    rows = oracle[0].table(golden, ours)
    assert {key for section, key, *_ in rows if section == 'losses'} == {
        'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox'}
    tolerance = dict(losses=LOSS_RTOL, grad_norms=GRAD_RTOL)
    failures = [f'{section} {key}: ours {a:.7g}, official {b:.7g} (rel. {rel:.2e})'
                for section, key, a, b, rel in rows if not rel <= tolerance[section]]
    assert not failures, f'{kind} Faster R-CNN differs from the authors\' code:\n' + \
        '\n'.join(failures)
    assert all(value > 0 for value in ours['losses'].values())
