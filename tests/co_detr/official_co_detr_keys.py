"""Parameter names and shapes of the official Co-Deformable-DETR (Sense-X/Co-DETR, mmdet 2.25),
written from its module definitions -- the reference the checkpoint converter is tested against.

Sources read (official repo): projects/models/co_deformable_detr_head.py (``_init_layers``:
``downsample`` conv+GN, ``cls_branches``/``reg_branches`` x (num_dec+1), ``query_embedding``),
projects/models/transformer.py (``CoDeformableDetrTransformer._init_layers``: ``head_pos_embed`` =
``nn.Embedding(num_co_heads, 1, 1, embed_dims)``, ``aux_pos_trans[_norm]``, ``pos_feats_trans``/
``pos_feats_norm``; its base mmdet 2.x ``DeformableDetrTransformer``: ``level_embeds``,
``enc_output[_norm]``, ``pos_trans[_norm]``), mmcv 1.x ``BaseTransformerLayer`` (``attentions.{i}``,
``ffns.0.layers.{0.0,1}``, ``norms.{i}``), ``MultiScaleDeformableAttention`` and
``MultiheadAttention`` (``attn.in_proj_*``, ``attn.out_proj``), and projects/models/
swin_transformer.py (``SwinTransformerV1``: original Swin names plus ``norm{i}`` per output).
Backbone (ResNet), neck, RPN, RoI and ATSS heads are mmdet modules whose names did not change
from mmdet 2.25 to 3.3; the caller takes those from our model.
"""
from typing import Dict, Tuple

Shapes = Dict[str, Tuple[int, ...]]


def _linear(prefix: str, n_in: int, n_out: int, bias: bool = True) -> Shapes:
    shapes = {f'{prefix}.weight': (n_out, n_in)}
    if bias:
        shapes[f'{prefix}.bias'] = (n_out, )
    return shapes


def _norm(prefix: str, dims: int) -> Shapes:
    return {f'{prefix}.weight': (dims, ), f'{prefix}.bias': (dims, )}


def _msda(prefix: str, dims: int, heads: int, levels: int, points: int) -> Shapes:
    shapes = _linear(f'{prefix}.sampling_offsets', dims, heads * levels * points * 2)
    shapes.update(_linear(f'{prefix}.attention_weights', dims, heads * levels * points))
    shapes.update(_linear(f'{prefix}.value_proj', dims, dims))
    shapes.update(_linear(f'{prefix}.output_proj', dims, dims))
    return shapes


def _ffn(prefix: str, dims: int, hidden: int) -> Shapes:
    shapes = _linear(f'{prefix}.layers.0.0', dims, hidden)
    shapes.update(_linear(f'{prefix}.layers.1', hidden, dims))
    return shapes


def query_head_shapes(dims: int, ffn: int, levels: int, points: int, num_enc: int,
                      num_dec: int, num_classes: int, num_query: int, num_co_heads: int = 2,
                      msda_heads: int = 8) -> Shapes:
    """Official ``query_head.*`` tensors of a two-stage, box-refine, mixed-selection head."""
    t = 'query_head.transformer'
    shapes: Shapes = {f'{t}.level_embeds': (levels, dims)}
    for i in range(num_enc):
        layer = f'{t}.encoder.layers.{i}'
        shapes.update(_msda(f'{layer}.attentions.0', dims, msda_heads, levels, points))
        shapes.update(_ffn(f'{layer}.ffns.0', dims, ffn))
        for j in range(2):
            shapes.update(_norm(f'{layer}.norms.{j}', dims))
    for i in range(num_dec):
        layer = f'{t}.decoder.layers.{i}'
        shapes[f'{layer}.attentions.0.attn.in_proj_weight'] = (3 * dims, dims)
        shapes[f'{layer}.attentions.0.attn.in_proj_bias'] = (3 * dims, )
        shapes.update(_linear(f'{layer}.attentions.0.attn.out_proj', dims, dims))
        shapes.update(_msda(f'{layer}.attentions.1', dims, msda_heads, levels, points))
        shapes.update(_ffn(f'{layer}.ffns.0', dims, ffn))
        for j in range(3):
            shapes.update(_norm(f'{layer}.norms.{j}', dims))
    shapes.update(_linear(f'{t}.enc_output', dims, dims))
    shapes.update(_norm(f'{t}.enc_output_norm', dims))
    shapes.update(_linear(f'{t}.pos_trans', 2 * dims, 2 * dims))
    shapes.update(_norm(f'{t}.pos_trans_norm', 2 * dims))
    shapes[f'{t}.head_pos_embed.weight'] = (num_co_heads, 1)
    for k in range(num_co_heads):
        shapes.update(_linear(f'{t}.aux_pos_trans.{k}', 2 * dims, 2 * dims))
        shapes.update(_norm(f'{t}.aux_pos_trans_norm.{k}', 2 * dims))
        shapes.update(_linear(f'{t}.pos_feats_trans.{k}', dims, dims))
        shapes.update(_norm(f'{t}.pos_feats_norm.{k}', dims))
    for i in range(num_dec + 1):  # the last pair scores/regresses the encoder proposals
        shapes.update(_linear(f'query_head.cls_branches.{i}', dims, num_classes))
        shapes.update(_linear(f'query_head.reg_branches.{i}.0', dims, dims))
        shapes.update(_linear(f'query_head.reg_branches.{i}.2', dims, dims))
        shapes.update(_linear(f'query_head.reg_branches.{i}.4', dims, 4))
    shapes['query_head.query_embedding.weight'] = (num_query, dims)
    shapes['query_head.downsample.0.weight'] = (dims, dims, 3, 3)
    shapes['query_head.downsample.0.bias'] = (dims, )
    shapes.update(_norm('query_head.downsample.1', dims))
    return shapes


def swin_v1_shapes(embed_dim: int, depths, num_heads, window: int,
                   out_indices=(1, 2, 3)) -> Shapes:
    """Official ``backbone.*`` tensors of ``SwinTransformerV1`` (buffers included)."""
    b = 'backbone'
    shapes: Shapes = {f'{b}.patch_embed.proj.weight': (embed_dim, 3, 4, 4),
                      f'{b}.patch_embed.proj.bias': (embed_dim, )}
    shapes.update(_norm(f'{b}.patch_embed.norm', embed_dim))
    for i, (depth, heads) in enumerate(zip(depths, num_heads)):
        dims = embed_dim * 2**i
        for j in range(depth):
            blk = f'{b}.layers.{i}.blocks.{j}'
            shapes.update(_norm(f'{blk}.norm1', dims))
            shapes[f'{blk}.attn.relative_position_bias_table'] = ((2 * window - 1)**2, heads)
            shapes[f'{blk}.attn.relative_position_index'] = (window**2, window**2)
            shapes.update(_linear(f'{blk}.attn.qkv', dims, 3 * dims))
            shapes.update(_linear(f'{blk}.attn.proj', dims, dims))
            shapes.update(_norm(f'{blk}.norm2', dims))
            shapes.update(_linear(f'{blk}.mlp.fc1', dims, 4 * dims))
            shapes.update(_linear(f'{blk}.mlp.fc2', 4 * dims, dims))
        if i < len(depths) - 1:
            shapes.update(_linear(f'{b}.layers.{i}.downsample.reduction', 4 * dims, 2 * dims,
                                  bias=False))
            shapes.update(_norm(f'{b}.layers.{i}.downsample.norm', 4 * dims))
    for i in out_indices:
        shapes.update(_norm(f'{b}.norm{i}', embed_dim * 2**i))
    return shapes
