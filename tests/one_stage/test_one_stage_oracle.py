"""Our RS/BRS ATSS and PAA heads against the authors' RankBasedATSSHead / RankBasedPAAHead (golden
numbers made by tools/oracle/golden_one_stage.py in the official-code env): same inputs, same
losses and gradients."""
import json

import pytest
import torch

from one_stage_configs import REPO_ROOT
from oracle_head import ground_truth, head_inputs, img_metas, inputs_sha256, oracle_head

# float32 on both sides; the two implementations sum in different orders
RTOL, ATOL = 1e-4, 1e-7


@pytest.mark.parametrize('detector', ['atss', 'paa'])
@pytest.mark.parametrize('name, bucketed', [('brs', True), ('rs', False)])
def test_head_matches_the_authors_losses_and_gradients(detector, name, bucketed):
    golden = json.loads((REPO_ROOT / 'tests' / 'oracle' / f'{detector}_{name}.json').read_text())
    head = oracle_head(detector, zero_iou_negative=True, max_score_box_weights=True,
                       loss_cls=dict(type='RankSortLoss', use_sigmoid=True, delta=0.5,
                                     bucketed=bucketed))
    cls_scores, bbox_preds = head_inputs()
    assert inputs_sha256(cls_scores, bbox_preds) == golden['inputs_sha256']
    cls_scores = [s.requires_grad_() for s in cls_scores]
    bbox_preds = [b.requires_grad_() for b in bbox_preds]
    losses = head.loss_by_feat(cls_scores, bbox_preds, None, ground_truth(), img_metas())
    sum(losses.values()).backward()

    theirs = golden['losses']
    assert losses['loss_cls'].item() == pytest.approx(theirs['loss_rank'] + theirs['loss_sort'],
                                                      rel=RTOL)
    assert losses['loss_bbox'].item() == pytest.approx(theirs['loss_bbox'], rel=RTOL)
    for ours, key in ((cls_scores, 'grad_cls_scores'), (bbox_preds, 'grad_bbox_preds')):
        grad = torch.cat([tensor.grad.flatten() for tensor in ours])
        expected = torch.tensor(golden[key])
        assert expected.abs().sum() > 0
        assert torch.allclose(grad, expected, rtol=RTOL, atol=ATOL), \
            (key, (grad - expected).abs().max().item())
