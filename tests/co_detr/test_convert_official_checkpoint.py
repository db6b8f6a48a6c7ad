"""tools/convert_official_checkpoint.py maps the official Co-Deformable-DETR names (written from
the official module definitions, see official_co_detr_keys.py) one to one onto our models."""
import collections
import sys

import pytest
import torch

from official_co_detr_keys import query_head_shapes, swin_v1_shapes

R50 = 'co_deformable_detr_r50_8xb2-12e_coco'
SWIN_T = 'co_deformable_detr_swin-t_8xb2-12e_coco'
SHARED = ('backbone.', 'neck.', 'rpn_head.', 'roi_head.', 'bbox_head.')
RELEASED_HEAD = dict(dims=256, ffn=2048, levels=4, points=4, num_enc=6, num_dec=6,
                     num_classes=80, num_query=300)


@pytest.fixture(scope='module')
def converter(repo_root):
    sys.path.insert(0, str(repo_root))
    from tools import convert_official_checkpoint
    return convert_official_checkpoint


def _official_state_dict(model, head_shapes, backbone_shapes=None):
    """Official names -> random tensors: the query head (and Swin backbone) from the official
    definitions, the modules whose names mmdet never changed from our model."""
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items() if k.startswith(SHARED)}
    if backbone_shapes is not None:
        shapes = {k: v for k, v in shapes.items() if not k.startswith('backbone.')}
        shapes.update(backbone_shapes)
    shapes.update(head_shapes)
    generator = torch.Generator().manual_seed(0)
    return collections.OrderedDict(
        (k, torch.randint(0, 7, s, generator=generator) if k.endswith('_index')
         else torch.randn(s, generator=generator)) for k, s in shapes.items())


def test_r50_official_names_map_one_to_one(released_model, converter):
    _, model = released_model(R50)
    official = _official_state_dict(model, query_head_shapes(**RELEASED_HEAD))
    converted, report = converter.convert_state_dict(official, target=model.state_dict())
    assert report.ok, report.summary()
    # The official model's parameter count (its tensors minus the BN statistics) is ours.
    params = dict(model.named_parameters())
    assert sum(v.numel() for k, v in official.items()
               if converter.convert_key(k) in params) == 65_129_894
    assert len(converted) == len(official) == len(model.state_dict())
    layer = 'query_head.transformer.decoder.layers.5'
    assert converted[f'{layer}.cross_attn.sampling_offsets.weight'] is official[
        f'{layer}.attentions.1.sampling_offsets.weight']
    assert converted[f'{layer}.self_attn.attn.in_proj_weight'] is official[
        f'{layer}.attentions.0.attn.in_proj_weight']
    assert converted['query_head.transformer.encoder.layers.0.ffn.layers.1.weight'] is official[
        'query_head.transformer.encoder.layers.0.ffns.0.layers.1.weight']
    assert converted['query_head.transformer.head_pos_embed.weight'] is official[
        'query_head.transformer.head_pos_embed.weight']
    renamed = dict(report.renamed)
    assert all(k.startswith('query_head.transformer.') for k in renamed)
    # encoder: deformable attention 8 + FFN 4; decoder: self-attention 4 + deformable 8 + FFN 4
    assert len(renamed) == 6 * (8 + 4) + 6 * (4 + 8 + 4)


def test_swin_official_names_map_one_to_one(released_model, converter):
    _, model = released_model(SWIN_T)
    swin = swin_v1_shapes(96, [2, 2, 6, 2], [3, 6, 12, 24], window=7)
    official = _official_state_dict(model, query_head_shapes(**RELEASED_HEAD), swin)
    converted, report = converter.convert_state_dict(official, target=model.state_dict())
    assert report.ok, report.summary()
    assert torch.equal(converted['backbone.stages.2.blocks.5.attn.w_msa.qkv.weight'],
                       official['backbone.layers.2.blocks.5.attn.qkv.weight'])
    assert torch.equal(converted['backbone.stages.0.blocks.1.ffn.layers.0.0.weight'],
                       official['backbone.layers.0.blocks.1.mlp.fc1.weight'])
    # Patch merging weights are re-ordered to mmdet's unfold order, not just renamed.
    old = official['backbone.layers.1.downsample.reduction.weight']
    new = converted['backbone.stages.1.downsample.reduction.weight']
    assert new.shape == old.shape and not torch.equal(new, old)
    assert torch.equal(new.sort(1).values, old.sort(1).values)


def test_report_names_every_mismatch(released_model, converter):
    _, model = released_model(R50)
    official = _official_state_dict(model, query_head_shapes(**RELEASED_HEAD))
    del official['query_head.query_embedding.weight']
    official['query_head.extra.weight'] = torch.zeros(1)
    official['query_head.cls_branches.0.weight'] = torch.zeros(81, 256)
    _, report = converter.convert_state_dict(official, target=model.state_dict())
    assert not report.ok
    assert report.unmatched_official == ['query_head.extra.weight']
    assert report.unmatched_target == ['query_head.query_embedding.weight']
    assert report.shape_mismatch == [('query_head.cls_branches.0.weight', (81, 256), (80, 256))]
    assert 'query_head.extra.weight' in report.summary()


def test_cli_converts_a_checkpoint_file_that_loads_strictly(build_tiny, converter, tmp_path,
                                                            repo_root):
    model = build_tiny()
    head = dict(dims=64, ffn=128, levels=4, points=2, num_enc=2, num_dec=2, num_classes=20,
                num_query=30)
    official = _official_state_dict(model, query_head_shapes(**head))
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    torch.save({'meta': {'epoch': 12, 'CLASSES': ('a', 'b')}, 'state_dict': official}, src)
    config = str(repo_root / 'configs/co_detr/co_deformable_detr_tiny_1xb2-demo.py')
    assert converter.main([str(src), str(dst), '--config', config]) == 0
    loaded = torch.load(dst, weights_only=True)['state_dict']
    model.load_state_dict(loaded, strict=True)
    name = 'query_head.transformer.decoder.layers.1.cross_attn.value_proj.weight'
    assert torch.equal(model.state_dict()[name],
                       official['query_head.transformer.decoder.layers.1.attentions.1.'
                                'value_proj.weight'])
    del official['query_head.downsample.0.bias']
    torch.save(official, src)  # a bare state dict is accepted too
    assert converter.main([str(src), str(dst), '--config', config]) == 1


class _Payload:
    """Anything a weights-only load must refuse."""


def test_pickled_code_is_refused(converter, tmp_path):
    path = tmp_path / 'bad.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': _Payload()}, path)
    with pytest.raises(ValueError, match='weights_only'):
        converter.load_official_state_dict(str(path))
