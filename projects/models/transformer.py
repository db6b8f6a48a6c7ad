"""The Co-Deformable-DETR transformer: Deformable-DETR encoder/decoder plus the aux-query path.

Thesis Sec. 3.5 (Eq. 3.54): besides the usual two-stage Deformable-DETR pass, the decoder is run
once per auxiliary head on that head's positive anchors/proposals ("extra positive queries"), each
with its own learnt head embedding. The encoder and decoder layers are mmdet 3.3's; only the glue
(proposal generation, query selection and the aux-query embedding) lives here. Attribute names
follow the official Co-DETR release (``level_embeds``, ``enc_output``, ``pos_trans``,
``aux_pos_trans`` ...) so that its checkpoints map onto this module almost one to one.
"""
from typing import List, Optional, Sequence, Tuple

import torch
from mmcv.ops import MultiScaleDeformableAttention
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet.models.detectors.deformable_detr import DeformableDETR
from mmdet.models.layers import (DeformableDetrTransformerDecoder,
                                 DeformableDetrTransformerEncoder,
                                 inverse_sigmoid)
from mmdet.registry import MODELS


@MODELS.register_module()
class CoDeformableDetrTransformer(BaseModule):
    """Two-stage Deformable-DETR transformer with Co-DETR's auxiliary positive queries.

    Args:
        encoder (dict): ``DeformableDetrTransformerEncoder`` arguments.
        decoder (dict): ``DeformableDetrTransformerDecoder`` arguments.
        num_feature_levels (int): levels fed to the encoder (4 in Co-DETR).
        as_two_stage (bool): select the decoder's reference boxes from encoder proposals.
        mixed_selection (bool): with ``as_two_stage``, take content queries from a learnt
            embedding and only positions from the selected proposals (DINO's mixed selection).
        num_co_heads (int): number of auxiliary heads feeding positive queries (K in Eq. 3.54).
        with_coord_feat (bool): add the aux head's per-positive feature to its query content.
    """

    def __init__(self,
                 encoder: dict,
                 decoder: dict,
                 num_feature_levels: int = 4,
                 as_two_stage: bool = True,
                 mixed_selection: bool = True,
                 num_co_heads: int = 2,
                 with_coord_feat: bool = True,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.encoder = DeformableDetrTransformerEncoder(**encoder)
        self.decoder = DeformableDetrTransformerDecoder(**decoder)
        self.embed_dims = self.encoder.embed_dims
        if self.decoder.embed_dims != self.embed_dims:
            raise ValueError(f'encoder embed_dims {self.embed_dims} != decoder embed_dims '
                             f'{self.decoder.embed_dims}')
        self.num_feature_levels = num_feature_levels
        self.as_two_stage = as_two_stage
        self.mixed_selection = mixed_selection
        self.num_co_heads = num_co_heads
        self.with_coord_feat = with_coord_feat

        dims = self.embed_dims
        self.level_embeds = nn.Parameter(torch.empty(num_feature_levels, dims))
        if as_two_stage:
            self.enc_output = nn.Linear(dims, dims)
            self.enc_output_norm = nn.LayerNorm(dims)
            self.pos_trans = nn.Linear(dims * 2, dims * 2)
            self.pos_trans_norm = nn.LayerNorm(dims * 2)
        else:
            self.reference_points = nn.Linear(dims, 2)
        if num_co_heads > 0:
            # One scalar per head, broadcast over the query-position vector. The official release
            # builds it as ``nn.Embedding(num_co_heads, 1, 1, embed_dims)`` (a slip they kept to
            # reproduce their R50 numbers); the same (K, 1) shape keeps checkpoints loadable.
            self.head_pos_embed = nn.Embedding(num_co_heads, 1)
            self.aux_pos_trans = nn.ModuleList(
                nn.Linear(dims * 2, dims * 2) for _ in range(num_co_heads))
            self.aux_pos_trans_norm = nn.ModuleList(
                nn.LayerNorm(dims * 2) for _ in range(num_co_heads))
            if with_coord_feat:
                self.pos_feats_trans = nn.ModuleList(
                    nn.Linear(dims, dims) for _ in range(num_co_heads))
                self.pos_feats_norm = nn.ModuleList(
                    nn.LayerNorm(dims) for _ in range(num_co_heads))

    # mmdet's DeformableDETR.gen_encoder_output_proposals reads these two names.
    @property
    def memory_trans_fc(self) -> nn.Module:
        return self.enc_output

    @property
    def memory_trans_norm(self) -> nn.Module:
        return self.enc_output_norm

    def init_weights(self) -> None:
        """Xavier for every matrix, the deformable attentions' own init, normal level embeddings."""
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for m in self.modules():
            if isinstance(m, MultiScaleDeformableAttention):
                m.init_weights()
        if not self.as_two_stage:
            nn.init.zeros_(self.reference_points.bias)
        nn.init.normal_(self.level_embeds)

    def flatten_levels(self, mlvl_feats: Sequence[Tensor], mlvl_masks: Sequence[Tensor],
                       mlvl_pos_embeds: Optional[Sequence[Tensor]] = None) -> dict:
        """Flatten a feature pyramid into the (bs, sum(h*w), dims) layout the layers expect."""
        spatial_shapes = torch.as_tensor([f.shape[-2:] for f in mlvl_feats],
                                         dtype=torch.long, device=mlvl_feats[0].device)
        level_start_index = torch.cat((spatial_shapes.new_zeros((1, )),
                                       spatial_shapes.prod(1).cumsum(0)[:-1]))
        out = dict(
            feat=torch.cat([f.flatten(2).transpose(1, 2) for f in mlvl_feats], 1),
            mask=torch.cat([m.flatten(1) for m in mlvl_masks], 1),
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            valid_ratios=torch.stack([DeformableDETR.get_valid_ratio(m) for m in mlvl_masks], 1))
        if mlvl_pos_embeds is not None:
            out['pos'] = torch.cat([
                p.flatten(2).transpose(1, 2) + self.level_embeds[lvl].view(1, 1, -1)
                for lvl, p in enumerate(mlvl_pos_embeds)
            ], 1)
        return out

    def forward(self, mlvl_feats: Sequence[Tensor], mlvl_masks: Sequence[Tensor],
                mlvl_pos_embeds: Sequence[Tensor], query_embed: Optional[Tensor],
                num_queries: int, reg_branches: nn.ModuleList,
                cls_branches: nn.ModuleList) -> Tuple:
        """One-to-one pass: encoder, two-stage query selection, decoder.

        Returns:
            tuple: ``hidden_states`` (num_layers, bs, nq, dims); ``references``, the list of
            per-layer input reference boxes (init + the detached refinement of each layer,
            num_layers + 1 entries); ``enc_outputs_class`` (bs, sum(hw), num_classes) and
            ``enc_outputs_coord_unact`` (bs, sum(hw), 4) or ``None`` without two-stage;
            ``memory`` (bs, sum(hw), dims), the encoder output.
        """
        flat = self.flatten_levels(mlvl_feats, mlvl_masks, mlvl_pos_embeds)
        memory = self.encoder(
            query=flat['feat'], query_pos=flat['pos'], key_padding_mask=flat['mask'],
            spatial_shapes=flat['spatial_shapes'],
            level_start_index=flat['level_start_index'], valid_ratios=flat['valid_ratios'])
        bs, _, dims = memory.shape
        enc_outputs_class = enc_outputs_coord_unact = None
        if self.as_two_stage:
            output_memory, output_proposals = DeformableDETR.gen_encoder_output_proposals(
                self, memory, flat['mask'], flat['spatial_shapes'])
            num_layers = self.decoder.num_layers
            enc_outputs_class = cls_branches[num_layers](output_memory)
            enc_outputs_coord_unact = reg_branches[num_layers](output_memory) + output_proposals
            # The first class channel scores the class-agnostic proposals.
            topk = torch.topk(enc_outputs_class[..., 0], num_queries, dim=1)[1]
            topk_coords_unact = torch.gather(
                enc_outputs_coord_unact, 1, topk.unsqueeze(-1).repeat(1, 1, 4)).detach()
            reference_points = topk_coords_unact.sigmoid()
            pos_trans_out = self.pos_trans_norm(
                self.pos_trans(DeformableDETR.get_proposal_pos_embed(
                    topk_coords_unact, num_pos_feats=dims // 2)))
            if self.mixed_selection:
                query_pos = pos_trans_out[..., :dims]
                query = query_embed.unsqueeze(0).expand(bs, -1, -1)
            else:
                query_pos, query = torch.split(pos_trans_out, dims, dim=2)
        else:
            query_pos, query = torch.split(query_embed, dims, dim=1)
            query_pos = query_pos.unsqueeze(0).expand(bs, -1, -1)
            query = query.unsqueeze(0).expand(bs, -1, -1)
            reference_points = self.reference_points(query_pos).sigmoid()
        hidden_states, references = self._decode(query, query_pos, memory, flat,
                                                 reference_points, reg_branches)
        return hidden_states, references, enc_outputs_class, enc_outputs_coord_unact, memory

    def forward_aux(self, mlvl_memory: Sequence[Tensor], mlvl_masks: Sequence[Tensor],
                    pos_coords: Tensor, pos_feats: Tensor, head_idx: int,
                    reg_branches: nn.ModuleList) -> Tuple[Tensor, List[Tensor]]:
        """Decoder pass on one aux head's positive queries (the extra positive queries, Sec. 3.5).

        Args:
            mlvl_memory: the encoder memory reshaped per level, (bs, dims, h, w) each.
            pos_coords: (bs, n, 4) normalised (cx, cy, w, h) anchors/proposals: the queries'
                reference boxes.
            pos_feats: (bs, n, dims) per-positive features (memory at the anchor / RoI feature).
            head_idx: which aux head (selects its query embedding).

        Returns:
            ``hidden_states`` (num_layers, bs, n, dims) and the per-layer references as in
            :meth:`forward`.
        """
        if not 0 <= head_idx < self.num_co_heads:
            raise IndexError(f'aux head index {head_idx} outside num_co_heads={self.num_co_heads}')
        flat = self.flatten_levels(mlvl_memory, mlvl_masks)
        dims = self.embed_dims
        pos_trans_out = self.aux_pos_trans_norm[head_idx](self.aux_pos_trans[head_idx](
            DeformableDETR.get_proposal_pos_embed(inverse_sigmoid(pos_coords),
                                                  num_pos_feats=dims // 2)))
        query_pos, query = torch.split(pos_trans_out, dims, dim=2)
        if self.with_coord_feat:
            query = query + self.pos_feats_norm[head_idx](self.pos_feats_trans[head_idx](pos_feats))
            query_pos = query_pos + self.head_pos_embed.weight[head_idx]
        return self._decode(query, query_pos, flat['feat'], flat, pos_coords, reg_branches)

    def _decode(self, query: Tensor, query_pos: Tensor, memory: Tensor, flat: dict,
                reference_points: Tensor,
                reg_branches: nn.ModuleList) -> Tuple[Tensor, List[Tensor]]:
        hidden_states, inter_references = self.decoder(
            query=query, query_pos=query_pos, value=memory, key_padding_mask=flat['mask'],
            reference_points=reference_points, spatial_shapes=flat['spatial_shapes'],
            level_start_index=flat['level_start_index'], valid_ratios=flat['valid_ratios'],
            reg_branches=reg_branches)
        return hidden_states, [reference_points, *inter_references]
