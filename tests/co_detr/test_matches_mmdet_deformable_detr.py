"""With its Co-DETR extras off (no mixed selection, no look-forward-twice), the query head
computes exactly mmdet 3.3's two-stage, box-refining Deformable DETR: same encoder proposals,
same query selection, same decoder outputs, given the same weights."""
import torch

DIMS, LAYERS, QUERIES, CLASSES = 256, 2, 20, 5  # mmdet's two-stage path assumes 256 dims


def _layer_cfg():
    ffn = dict(embed_dims=DIMS, feedforward_channels=128, ffn_drop=0.0)
    encoder = dict(num_layers=LAYERS, layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=DIMS, num_points=2, dropout=0.0, batch_first=True),
        ffn_cfg=ffn))
    decoder = dict(num_layers=LAYERS, return_intermediate=True, post_norm_cfg=None, layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=DIMS, num_heads=8, dropout=0.0, batch_first=True),
        cross_attn_cfg=dict(embed_dims=DIMS, num_points=2, dropout=0.0, batch_first=True),
        ffn_cfg=ffn))
    return encoder, decoder


def _models():
    from mmdet.registry import MODELS

    encoder, decoder = _layer_cfg()
    losses = dict(loss_cls=dict(type='FocalLoss', use_sigmoid=True, loss_weight=2.0))
    reference = MODELS.build(dict(
        type='DeformableDETR', num_queries=QUERIES, num_feature_levels=4,
        with_box_refine=True, as_two_stage=True,
        backbone=dict(type='ResNet', depth=18, out_indices=(1, 2, 3)),
        encoder=encoder, decoder=decoder,
        positional_encoding=dict(num_feats=DIMS // 2, normalize=True, offset=-0.5),
        bbox_head=dict(type='DeformableDETRHead', num_classes=CLASSES, **losses),
        test_cfg=dict(max_per_img=10)))
    ours = MODELS.build(dict(
        type='CoDeformDETRHead', num_query=QUERIES, num_classes=CLASSES, embed_dims=DIMS,
        mixed_selection=False, look_forward_twice=False,
        transformer=dict(encoder=encoder, decoder=decoder, num_co_heads=0),
        positional_encoding=dict(num_feats=DIMS // 2, normalize=True, offset=-0.5), **losses))
    reference.init_weights()
    ours.init_weights()
    return reference, ours  # train mode: mmdet returns the encoder outputs only then (no dropout)


def _copy_weights(reference, ours):
    renames = {'level_embed': 'transformer.level_embeds',
               'memory_trans_fc.': 'transformer.enc_output.',
               'memory_trans_norm.': 'transformer.enc_output_norm.',
               'pos_trans_fc.': 'transformer.pos_trans.',
               'pos_trans_norm.': 'transformer.pos_trans_norm.',
               'encoder.': 'transformer.encoder.', 'decoder.': 'transformer.decoder.',
               'bbox_head.': ''}
    state = {}
    for key, value in reference.state_dict().items():
        if key.startswith(('backbone.', 'neck.')):
            continue
        prefix = next(p for p in renames if key.startswith(p))
        state[renames[prefix] + key[len(prefix):]] = value
    missing, unexpected = ours.load_state_dict(state, strict=False)
    assert not unexpected and all(k.startswith('downsample.') for k in missing), missing


def test_query_head_equals_mmdet_two_stage_deformable_detr(mmdet_scope):
    from mmdet.structures import DetDataSample

    torch.manual_seed(0)
    reference, ours = _models()
    _copy_weights(reference, ours)
    shapes = [(64, 64), (60, 48)]  # second image padded: exercises the masks
    feats = [torch.randn(2, DIMS, 64 // s, 64 // s) for s in (8, 16, 32, 64)]
    samples = []
    for shape in shapes:
        sample = DetDataSample()
        sample.set_metainfo(dict(img_shape=shape, batch_input_shape=(64, 64)))
        samples.append(sample)
    with torch.no_grad():
        ref = reference.forward_transformer(tuple(feats), samples)
        ref_cls, ref_boxes = reference.bbox_head(ref['hidden_states'], ref['references'])
        cls, boxes, enc_cls, enc_boxes, memory = ours(feats, [s.metainfo for s in samples])
    torch.testing.assert_close(enc_cls, ref['enc_outputs_class'])
    torch.testing.assert_close(enc_boxes, ref['enc_outputs_coord'])
    torch.testing.assert_close(cls, ref_cls)
    torch.testing.assert_close(boxes, ref_boxes)
    assert [m.shape[-2:] for m in memory] == [f.shape[-2:] for f in feats] + [torch.Size([1, 1])]


def test_look_forward_twice_changes_gradients_not_outputs(mmdet_scope):
    torch.manual_seed(0)
    _, head = _models()
    for branch in head.reg_branches:  # non-zero refinements, as after some training
        torch.nn.init.normal_(branch[-1].weight, std=0.01)
    feats = [torch.randn(1, DIMS, 64 // s, 64 // s) for s in (8, 16, 32, 64)]
    metas = [dict(img_shape=(64, 64), batch_input_shape=(64, 64))]
    grads, outputs = {}, {}
    for look_forward_twice in (False, True):
        head.look_forward_twice = look_forward_twice
        head.zero_grad()
        boxes = head(feats, metas)[1]
        boxes[-1].sum().backward()  # the last layer's boxes only
        outputs[look_forward_twice] = boxes.detach()
        grads[look_forward_twice] = head.reg_branches[LAYERS - 2][-1].weight.grad
    torch.testing.assert_close(outputs[True], outputs[False])
    assert grads[False] is None or grads[False].abs().sum() == 0  # references are detached
    assert grads[True].abs().sum() > 0  # ... but look forward twice trains layer L-1 too
