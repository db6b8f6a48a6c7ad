"""The BRS one-stage heads' options and build-time checks, on the oracle's fixed head inputs."""
import pytest

from oracle_head import ground_truth, head_inputs, img_metas, oracle_head


@pytest.mark.parametrize('zero_iou_negative', [True, False])
def test_zero_iou_positives_rank_as_negatives_only_when_asked(zero_iou_negative):
    """Deltas that move every box more than its own width away: every positive has IoU 0. The
    authors' heads then rank no positive (loss 0); ours by default keeps them positive."""
    cls_scores, bbox_preds = head_inputs()
    for deltas in bbox_preds:
        deltas.view(2, -1, 4, *deltas.shape[-2:])[:, :, 0] = 20.0  # dx = 20 x 0.1 widths
    head = oracle_head('atss', zero_iou_negative=zero_iou_negative)
    losses = head.loss_by_feat(cls_scores, bbox_preds, None, ground_truth(), img_metas())
    assert (losses['loss_cls'].item() == 0) == zero_iou_negative


def test_heads_refuse_a_score_based_loss_or_a_quality_branch():
    with pytest.raises(TypeError, match='BRSATSSHead: loss_cls must be a ranking loss'):
        oracle_head('atss', loss_cls=dict(type='FocalLoss', use_sigmoid=True))
    with pytest.raises(ValueError, match='BRSATSSHead has no centerness/IoU branch'):
        oracle_head('atss', loss_centerness=dict(type='CrossEntropyLoss', use_sigmoid=True))
