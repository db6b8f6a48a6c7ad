"""The RoI aux head pools the encoder memory it is given, whatever that memory's layout (issue 8).

mmcv's RoIAlign hands its input's raw buffer to the kernel; a strided view of the memory (as a
transposed, reshaped slice is) was pooled from the wrong addresses, in training and in
``eval_module='two-stage'`` inference.
"""
import torch


def test_query_head_hands_out_a_contiguous_pyramid(build_tiny):
    model = build_tiny().eval()
    metas = [dict(batch_input_shape=(64, 96), img_shape=(64, 96))]
    with torch.no_grad():
        pyramid = model.query_head(model.extract_feat(torch.randn(1, 3, 64, 96)), metas)[-1]
    assert len(pyramid) == model.query_head.transformer.num_feature_levels + 1
    assert all(level.is_contiguous() for level in pyramid)


def test_roi_features_do_not_depend_on_memory_layout(build_tiny):
    roi_head = build_tiny().roi_head[0]
    generator = torch.Generator().manual_seed(0)
    pyramid = [torch.randn(2, 64, 128 // s, 128 // s, generator=generator) for s in (8, 16, 32, 64)]
    # same values, channels-last strides: what a (bs, hw, c) memory viewed as (bs, c, h, w) has
    strided = [level.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) for level in pyramid]
    assert not any(level.is_contiguous() for level in strided)
    rois = torch.tensor([[0, 4., 4., 40., 30.], [0, 10., 20., 120., 90.], [1, 0., 0., 127., 127.],
                         [1, 30., 8., 50., 20.]])  # small and large: several pyramid levels
    with torch.no_grad():
        expected = roi_head._bbox_forward(tuple(pyramid), rois)
        pooled = roi_head._bbox_forward(tuple(strided), rois)
    assert expected['bbox_feats'].abs().sum() > 0
    assert torch.equal(pooled['bbox_feats'], expected['bbox_feats'])
    assert torch.equal(pooled['cls_score'], expected['cls_score'])
