"""What both sides of the official-code oracle rebuild identically: weights, input, randomness.

The golden numbers (``tests/oracle/golden/*.json``) come from the official Co-DETR and the
authors' BRS-DETR code (``tools/oracle/make_golden.py``, run in a separate mmdet 2.x env); the
test (``tests/oracle/test_official_oracle.py``) rebuilds the same network in this repo. Nothing
is shared but this file, which imports only torch, numpy and PIL so that both envs can load it:

* weights: every tensor is drawn from a generator seeded by a hash of its OFFICIAL name, so our
  side regenerates the official state dict from the (name, shape) list stored in the golden file
  and maps it with ``tools/convert_official_checkpoint.py``;
* input: one real demo photo (``2011_000006.jpg`` of the labelme demo set, 6 boxes), resized with
  torch and normalised with the released configs' mean/std; its sha256 is checked on both sides;
* randomness: ``torch.randperm`` (mmdet's random samplers, Co-DETR's aux-query padding) replaced
  by ``arange`` while a loss is computed.
"""
from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

IMAGE_FILE = '2011_000006.jpg'
LONG_SIDE = 256
MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)

# The golden sizes: the released R50 models with only these changed (``shrink`` on each side).
EMBED_DIMS = 64
FFN_DIMS = 128
NUM_QUERY = 30
NUM_ENC_LAYERS = 2
NUM_DEC_LAYERS = 2
RESNET_DEPTH = 18
RESNET_CHANNELS = [128, 256, 512]
ROI_FC_DIMS = 256
TOP_K_DETECTIONS = 100

PRIOR_LOGIT = -4.59511985013459  # log(0.01 / 0.99)

# Per-module gradient groups: (group, official-name prefixes); the first matching group wins.
GRAD_GROUPS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ('backbone', ('backbone.', )),
    ('neck', ('neck.', )),
    ('encoder', ('query_head.transformer.encoder.', )),
    ('decoder', ('query_head.transformer.decoder.', )),
    ('query_head', ('query_head.', )),
    ('rpn_head', ('rpn_head.', )),
    ('roi_head', ('roi_head.', )),
    ('atss_head', ('bbox_head.', )),
)


def _seed(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], 'little') & (2**63 - 1)


def _is_classifier(name: str) -> bool:
    """A class-score layer: ``cls_branches.i``, ``atss_cls``, ``rpn_cls``, ``fc_cls``."""
    module = next(part for part in reversed(name.split('.')[:-1]) if not part.isdigit())
    return module == 'cls_branches' or module.endswith('_cls')


def seeded_tensor(name: str, shape: Sequence[int], dtype: torch.dtype) -> torch.Tensor:
    """The recipe's value of the official tensor ``name``: a function of the name and shape only.

    Norm layers get scales near 1, running variances in [0.5, 1.5] and small shifts; classifier
    biases the 1 % prior; weight matrices and kernels ~ N(0, 1/fan_in) (x2 for conv kernels, which
    feed ReLUs); other biases and 1-d parameters small. Integer buffers (``num_batches_tracked``)
    are zero.
    """
    if not dtype.is_floating_point:
        return torch.zeros(shape, dtype=dtype)
    gen = torch.Generator().manual_seed(_seed(name))
    noise = torch.randn(tuple(shape), generator=gen, dtype=torch.float64)
    leaf = name.rsplit('.', 1)[-1]
    if leaf == 'running_var':
        value = 1.0 + 0.5 * torch.tanh(noise)
    elif leaf == 'running_mean':
        value = 0.1 * noise
    elif len(shape) == 1 and leaf == 'weight':
        value = 1.0 + 0.1 * noise
    elif len(shape) == 1 and leaf == 'bias' and _is_classifier(name):
        value = PRIOR_LOGIT + 0.02 * noise  # classifiers start at a 1 % prior, as mmdet's
    elif len(shape) <= 1:
        value = 0.02 * noise
    else:
        fan_in = int(np.prod(shape[1:]))
        gain = 2.0 if len(shape) == 4 else 1.0
        value = noise * (gain / fan_in) ** 0.5
    return value.to(dtype)


def recipe_state_dict(shapes: Iterable[Tuple[str, Sequence[int], str]]) -> Dict[str, torch.Tensor]:
    """Official state dict from ``(name, shape, dtype name)`` triples (as in the golden file)."""
    return {name: seeded_tensor(name, shape, getattr(torch, dtype))
            for name, shape, dtype in shapes}


def state_dict_shapes(state_dict: Dict[str, torch.Tensor]) -> List[Tuple[str, List[int], str]]:
    return [(k, list(v.shape), str(v.dtype).replace('torch.', '')) for k, v in state_dict.items()]


def load_input(image_dir: Path, annotation_file: Path) -> dict:
    """The golden input: normalised 1x3xHxW image, boxes (x1y1x2y2, resized pixels), 0-based labels.

    Also the sha256 of the decoded photo and of the resized uint8 image, so that a different
    JPEG decoder shows up as an input mismatch and not as a model difference.
    """
    import json

    from PIL import Image

    coco = json.loads(Path(annotation_file).read_text())
    info = next(img for img in coco['images'] if img['file_name'] == IMAGE_FILE)
    anns = [a for a in coco['annotations'] if a['image_id'] == info['id']]
    photo = np.asarray(Image.open(Path(image_dir) / IMAGE_FILE).convert('RGB'))
    h, w = photo.shape[:2]
    scale = LONG_SIDE / max(h, w)
    new_h, new_w = int(round(h * scale)), int(round(w * scale))
    chw = torch.from_numpy(photo.copy()).permute(2, 0, 1)[None].double()
    resized = F.interpolate(chw, size=(new_h, new_w), mode='bilinear', align_corners=False)
    resized = resized.round().clamp(0, 255).to(torch.uint8)
    mean = torch.tensor(MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float32).view(1, 3, 1, 1)
    img = (resized.float() - mean) / std
    sx, sy = new_w / w, new_h / h
    boxes = torch.tensor([[a['bbox'][0] * sx, a['bbox'][1] * sy, (a['bbox'][0] + a['bbox'][2]) * sx,
                           (a['bbox'][1] + a['bbox'][3]) * sy] for a in anns], dtype=torch.float32)
    labels = torch.tensor([a['category_id'] - 1 for a in anns], dtype=torch.long)
    return dict(img=img.contiguous(), boxes=boxes, labels=labels, ori_shape=(h, w),
                img_shape=(new_h, new_w), scale_factor=(sx, sy),
                photo_sha256=hashlib.sha256(photo.tobytes()).hexdigest(),
                resized_sha256=hashlib.sha256(resized.numpy().tobytes()).hexdigest())


@contextlib.contextmanager
def deterministic_randperm() -> Iterator[None]:
    """``torch.randperm(n)`` returns ``arange(n)``: random samplers take the first candidates."""
    original = torch.randperm

    def arange_perm(n, *args, generator=None, out=None, dtype=torch.int64, layout=None,
                    device=None, pin_memory=False, requires_grad=False):
        return torch.arange(n, dtype=dtype, device=device)

    torch.randperm = arange_perm
    try:
        yield
    finally:
        torch.randperm = original


def grad_group(official_name: str) -> str:
    for group, prefixes in GRAD_GROUPS:
        if official_name.startswith(prefixes):
            return group
    raise KeyError(f'parameter {official_name!r} is in no gradient group of GRAD_GROUPS')


def grad_norms(named_grads: Iterable[Tuple[str, torch.Tensor]]) -> Dict[str, float]:
    """L2 norm of the gradient per module group (official names), in float64."""
    sums: Dict[str, float] = {}
    for name, grad in named_grads:
        group = grad_group(name)
        sq = 0.0 if grad is None else float(grad.double().pow(2).sum())
        sums[group] = sums.get(group, 0.0) + sq
    return {group: value ** 0.5 for group, value in sums.items()}
