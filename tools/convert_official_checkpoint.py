"""Convert an official Co-DETR checkpoint (Sense-X/Co-DETR, mmdet 2.x) to this repo's names.

The official modules and ours share names except in two places:

* transformer layers: mmcv 1.x ``BaseTransformerLayer`` keeps ``attentions.{i}`` / ``ffns.0``;
  mmdet 3.3's Deformable-DETR layers call them ``self_attn`` (encoder ``attentions.0``, decoder
  ``attentions.0``), ``cross_attn`` (decoder ``attentions.1``) and ``ffn``;
* a Swin backbone (``SwinTransformerV1``, the original Swin naming), which mmdet's own
  ``swin_converter`` maps to mmdet 3.3's ``SwinTransformer``.

Everything else (ResNet, ChannelMapper, the query head's branches and transformer glue, RPN,
RoI and ATSS heads) keeps its official name. Use as a library::

    from tools.convert_official_checkpoint import convert_state_dict, load_official_state_dict
    new_sd, report = convert_state_dict(load_official_state_dict(path), target=model.state_dict())

or from the shell: ``python tools/convert_official_checkpoint.py official.pth out.pth
--config configs/co_detr/co_deformable_detr_r50_8xb2-12e_coco.py``. Checkpoints are read with
``torch.load(weights_only=True)``: a file that needs pickled code is refused, never executed.
"""
import argparse
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import torch

# (pattern on the official name, replacement); applied in order, first match wins.
_LAYER_RULES = [
    (re.compile(r'(\.transformer\.encoder\.layers\.\d+\.)attentions\.0\.'), r'\1self_attn.'),
    (re.compile(r'(\.transformer\.decoder\.layers\.\d+\.)attentions\.0\.'), r'\1self_attn.'),
    (re.compile(r'(\.transformer\.decoder\.layers\.\d+\.)attentions\.1\.'), r'\1cross_attn.'),
    (re.compile(r'(\.transformer\.(?:en|de)coder\.layers\.\d+\.)ffns\.0\.'), r'\1ffn.'),
]
_SWIN_PREFIX = 'backbone.'
_SWIN_MARKERS = ('backbone.layers.0.blocks.', 'backbone.patch_embed.proj.')


@dataclass
class ConversionReport:
    """What the conversion did, and what does not match the target model.

    ``renamed``: (official, ours) for every key whose name changed. With a target state dict:
    ``unmatched_official`` lists official keys with no counterpart in the target,
    ``unmatched_target`` target keys that the checkpoint does not provide, and
    ``shape_mismatch`` (ours, official shape, target shape).
    """

    renamed: List[Tuple[str, str]] = field(default_factory=list)
    unmatched_official: List[str] = field(default_factory=list)
    unmatched_target: List[str] = field(default_factory=list)
    shape_mismatch: List[Tuple[str, tuple, tuple]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unmatched_official or self.unmatched_target or self.shape_mismatch)

    def summary(self) -> str:
        lines = [f'renamed {len(self.renamed)} keys']
        for title, items in (('official keys with no target', self.unmatched_official),
                             ('target keys missing from the checkpoint', self.unmatched_target),
                             ('shape mismatches (key, checkpoint, target)', self.shape_mismatch)):
            lines.append(f'{title}: {len(items)}')
            lines.extend(f'  {item}' for item in items)
        return '\n'.join(lines)


def convert_key(key: str) -> str:
    """Our name for a non-Swin official key."""
    for pattern, replacement in _LAYER_RULES:
        new_key, count = pattern.subn(replacement, key)
        if count:
            return new_key
    return key


def convert_state_dict(
        official: Mapping[str, torch.Tensor],
        target: Optional[Mapping[str, torch.Tensor]] = None
) -> Tuple['OrderedDict[str, torch.Tensor]', ConversionReport]:
    """Rename an official Co-DETR state dict; compare with ``target`` (e.g. a model's
    ``state_dict()``) when given. Tensors are shared, not copied (Swin reductions excepted)."""
    report = ConversionReport()
    backbone = {k: v for k, v in official.items() if k.startswith(_SWIN_PREFIX)}
    swin = any(k.startswith(_SWIN_MARKERS) for k in backbone)
    converted: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    origin: Dict[str, str] = {}
    if swin:
        # Lazy import: only Swin checkpoints need mmdet here.
        from mmdet.models.backbones.swin import swin_converter
        for key, value in backbone.items():
            # One key at a time: swin_converter renames (and re-orders merging weights) per
            # key and drops classifier keys, which then keep their name and show as unmatched.
            ((new, new_value), ) = (swin_converter({key[len(_SWIN_PREFIX):]: value}).items()
                                    or [(key, value)])
            converted[new] = new_value
            origin[new] = key
    for key, value in official.items():
        if swin and key in backbone:
            continue
        new = convert_key(key)
        converted[new] = value
        origin[new] = key
    report.renamed = [(old, new) for new, old in origin.items() if old != new]
    if target is not None:
        report.unmatched_official = [origin[k] for k in converted if k not in target]
        report.unmatched_target = [k for k in target if k not in converted]
        report.shape_mismatch = [(k, tuple(v.shape), tuple(target[k].shape))
                                 for k, v in converted.items()
                                 if k in target and tuple(v.shape) != tuple(target[k].shape)]
    return converted, report


def load_checkpoint_file(path: str) -> Tuple[Dict[str, torch.Tensor], dict]:
    """(state dict, meta) of a checkpoint file (or of a bare state dict), read with
    ``weights_only=True`` and the allow-list our own training checkpoints need
    (``brs_detr.io.safe_load``). ValueError, saying which, for a file that needs pickled code, a
    truncated or corrupt file, and a file without a state dict of tensors."""
    from brs_detr.io.safe_load import (CorruptCheckpointError, UnsafeCheckpointError,
                                       load_checkpoint_safely)
    try:
        ckpt = load_checkpoint_safely(path, map_location='cpu')
    except UnsafeCheckpointError as err:
        raise ValueError(str(err)) from None
    except CorruptCheckpointError as err:
        raise ValueError(f'not a readable PyTorch checkpoint: {err}') from None
    state_dict = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state_dict, dict) or not state_dict or not all(
            isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise ValueError(f'{path}: no state dict of tensors found (top-level keys: '
                         f'{list(ckpt)[:10] if isinstance(ckpt, dict) else type(ckpt)})')
    meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
    return state_dict, meta if isinstance(meta, dict) else {}


def load_official_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The ``state_dict`` of a checkpoint file, see :func:`load_checkpoint_file`."""
    return load_checkpoint_file(path)[0]


def model_state_dict(config: str) -> Dict[str, torch.Tensor]:
    """State dict of the (untrained) model a config builds: the names and shapes to match."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS
    import projects.models  # noqa: F401  (registers the Co-DETR modules)

    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    return MODELS.build(cfg.model).state_dict()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='converted checkpoint to write')
    parser.add_argument('--config', help='our config: report keys that do not match its model')
    parser.add_argument('--allow-unmatched', action='store_true',
                        help='write the output even if keys or shapes do not match')
    args = parser.parse_args(argv)

    try:
        official = load_official_state_dict(args.src)
    except (ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    target = model_state_dict(args.config) if args.config else None
    converted, report = convert_state_dict(official, target)
    print(report.summary())
    if target is not None and not report.ok and not args.allow_unmatched:
        print('not written: keys or shapes do not match (see above; --allow-unmatched to force)',
              file=sys.stderr)
        return 1
    Path(args.dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save({'state_dict': converted, 'meta': {'converted_from': str(args.src)}}, args.dst)
    print(f'wrote {args.dst} ({len(converted)} tensors)')
    return 0


if __name__ == '__main__':
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
