"""Our RS/BRS/BAP ATSS and PAA heads against the authors' RankBasedATSSHead / RankBasedPAAHead
(golden numbers made by tools/oracle/golden_one_stage.py in the official-code env): same inputs,
same losses and gradients, with the options our released configs set."""
import json

import pytest
import torch

from one_stage_configs import REPO_ROOT
from oracle_head import ground_truth, head_inputs, img_metas, inputs_sha256, oracle_head

# float32 on both sides; the two implementations sum in different orders
RTOL, ATOL = 1e-4, 1e-7
# our loss_cls and the options of our released configs, per golden file
LOSSES = {
    'brs': dict(type='RankSortLoss', delta=0.5, bucketed=True),
    'rs': dict(type='RankSortLoss', delta=0.5, bucketed=False),
    'bap': dict(type='APLoss', bucketed=True),
}
AP_DELTA = {'atss': 1.0, 'paa': 0.5}


def _grad(tensors):
    return torch.cat([tensor.grad.flatten() for tensor in tensors])


def _assert_close(grad, expected, key):
    assert expected.abs().sum() > 0
    assert torch.allclose(grad, expected, rtol=RTOL, atol=ATOL), \
        (key, (grad - expected).abs().max().item())


@pytest.mark.parametrize('detector', ['atss', 'paa'])
@pytest.mark.parametrize('name', ['brs', 'rs', 'bap'])
def test_head_matches_the_authors_losses_and_gradients(detector, name):
    golden = json.loads((REPO_ROOT / 'tests' / 'oracle' / f'{detector}_{name}.json').read_text())
    loss_cls = dict(LOSSES[name], use_sigmoid=True)
    loss_cls.setdefault('delta', AP_DELTA[detector])
    # their AP path ranks 0/1 labels and keeps the GIoU at its configured weight
    head = oracle_head(detector, loss_cls=loss_cls, max_score_box_weights=True,
                       zero_iou_negative=name != 'bap', self_balance_box=name != 'bap')
    cls_scores, bbox_preds = head_inputs()
    assert inputs_sha256(cls_scores, bbox_preds) == golden['inputs_sha256']
    cls_scores = [s.requires_grad_() for s in cls_scores]
    bbox_preds = [b.requires_grad_() for b in bbox_preds]
    losses = head.loss_by_feat(cls_scores, bbox_preds, None, ground_truth(), img_metas())
    sum(losses.values()).backward()

    theirs = golden['losses']
    ranking = theirs['loss_rank'] + theirs.get('loss_sort', 0.0)
    assert losses['loss_cls'].item() == pytest.approx(ranking, rel=RTOL)
    _assert_close(_grad(cls_scores), torch.tensor(golden['grad_cls_scores']), 'cls')
    assert losses['loss_bbox'].item() == pytest.approx(theirs['loss_bbox'], rel=RTOL)
    _assert_close(_grad(bbox_preds), torch.tensor(golden['grad_bbox_preds']), 'bbox')
