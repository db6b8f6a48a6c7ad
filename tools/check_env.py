#!/usr/bin/env python
"""Check the installed stack: versions, and on every available device the ops BRS-DETR runs.

On each device (the CPU and every visible GPU, or those of ``--devices``):
- multi-scale deformable attention (mmcv's compiled kernel where it has one for the device, forward
  and backward) agrees with mmcv's pure-PyTorch version in float64 on the CPU;
- RoIAlign (mmcv) agrees with torchvision's roi_align on the CPU;
- NMS (mmcv) keeps the same boxes as torchvision's nms on the CPU;
- a BRS loss forward + backward runs and agrees with the same loss computed on the CPU in float64.
Prints one line per check and exits 1 if any fails. Run at the end of tools/setup_env.sh.

    python tools/check_env.py                 # every available device
    python tools/check_env.py --devices cpu
"""
import argparse
import platform
import sys
from pathlib import Path
from typing import Callable, List, NamedTuple

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class Check(NamedTuple):
    name: str
    run: Callable[[torch.device], str]  # returns a short detail; raises AssertionError on mismatch


def versions() -> List[str]:
    import mmcv
    import mmdet
    import mmengine

    import brs_detr
    lines = [f'python {platform.python_version()}, torch {torch.__version__} '
             f'(CUDA build {torch.version.cuda or "none"}), mmcv {mmcv.__version__}, '
             f'mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, '
             f'brs_detr {getattr(brs_detr, "__version__", "(source)")}']
    for i in range(torch.cuda.device_count()):
        major, minor = torch.cuda.get_device_capability(i)
        lines.append(f'cuda:{i} {torch.cuda.get_device_name(i)} (sm {major}.{minor})')
    return lines


def _close(name: str, got: torch.Tensor, want: torch.Tensor, tol: float) -> float:
    diff = float((got.detach().double().cpu() - want.detach().double().cpu()).abs().max()) \
        if got.numel() else 0.0
    if got.shape != want.shape or not diff <= tol:
        raise AssertionError(f'{name}: differs from the reference by {diff:.3g} (tolerance {tol:g}), '
                             f'shapes {tuple(got.shape)} vs {tuple(want.shape)}')
    return diff


def check_deform_attn(device: torch.device) -> str:
    """mmcv's MultiScaleDeformableAttnFunction (where compiled for ``device``) vs its PyTorch twin."""
    from mmcv.ops.multi_scale_deform_attn import (MultiScaleDeformableAttnFunction,
                                                  multi_scale_deformable_attn_pytorch)
    gen = torch.Generator().manual_seed(0)
    shapes = torch.tensor([[12, 16], [6, 8], [3, 4]])
    starts = torch.cat((shapes.new_zeros(1), shapes.prod(1).cumsum(0)[:-1]))
    bs, heads, dims, queries, points = 2, 4, 8, 10, 4
    value = torch.rand(bs, int(shapes.prod(1).sum()), heads, dims, generator=gen, dtype=torch.float64)
    locations = torch.rand(bs, queries, heads, len(shapes), points, 2, generator=gen,
                           dtype=torch.float64)
    weights = torch.rand(bs, queries, heads, len(shapes), points, generator=gen, dtype=torch.float64)
    weights = weights / weights.sum((-1, -2), keepdim=True)
    grad_out = torch.rand(bs, queries, heads * dims, generator=gen, dtype=torch.float64)

    ref_inputs = [t.clone().requires_grad_() for t in (value, locations, weights)]
    ref = multi_scale_deformable_attn_pytorch(ref_inputs[0], shapes, ref_inputs[1], ref_inputs[2])
    ref.backward(grad_out)

    inputs = [t.to(device, torch.float32).requires_grad_() for t in (value, locations, weights)]
    try:
        out = MultiScaleDeformableAttnFunction.apply(inputs[0], shapes.to(device), starts.to(device),
                                                     inputs[1], inputs[2], 64)
        kind = 'compiled kernel'
    except (RuntimeError, NotImplementedError, TypeError) as error:
        if device.type != 'cpu':
            raise AssertionError(f'no compiled kernel for {device}: {error}') from error
        # mmcv runs the PyTorch version on the CPU; check that one in float32 instead.
        out = multi_scale_deformable_attn_pytorch(inputs[0], shapes, inputs[1], inputs[2])
        kind = 'PyTorch version (mmcv has no CPU kernel)'
    out.backward(grad_out.to(device, torch.float32))
    diff = _close('forward', out, ref, 1e-5)
    for name, got, want in zip(('grad value', 'grad locations', 'grad weights'), inputs,
                               ref_inputs):
        diff = max(diff, _close(name, got.grad, want.grad, 1e-4))
    return f'{kind}, forward + backward, max |diff| {diff:.1e}'


def check_roi_align(device: torch.device) -> str:
    """mmcv's RoIAlign vs torchvision's roi_align (aligned, fixed sampling ratio)."""
    from mmcv.ops import roi_align
    from torchvision.ops import roi_align as tv_roi_align
    gen = torch.Generator().manual_seed(0)
    feats = torch.rand(2, 8, 32, 40, generator=gen)
    xy = torch.rand(20, 2, generator=gen) * torch.tensor([280.0, 220.0])
    wh = torch.rand(20, 2, generator=gen) * 60 + 4
    rois = torch.cat((torch.arange(20).remainder(2)[:, None].float(), xy, xy + wh), 1)
    want = tv_roi_align(feats, rois, (7, 7), spatial_scale=1 / 8, sampling_ratio=2, aligned=True)
    got = roi_align(feats.to(device), rois.to(device), (7, 7), 1 / 8, 2, 'avg', True)
    return f'7x7 on 20 RoIs, max |diff| {_close("RoIAlign", got, want, 1e-5):.1e}'


def check_nms(device: torch.device) -> str:
    """mmcv's nms keeps exactly the boxes torchvision's nms keeps."""
    from mmcv.ops import nms
    from torchvision.ops import nms as tv_nms
    gen = torch.Generator().manual_seed(0)
    xy = torch.rand(500, 2, generator=gen) * 400
    boxes = torch.cat((xy, xy + torch.rand(500, 2, generator=gen) * 80 + 5), 1)
    scores = torch.randperm(500, generator=gen).float() / 500  # distinct: a unique answer
    want = tv_nms(boxes, scores, 0.5)
    _, got = nms(boxes.to(device), scores.to(device), 0.5)
    if not torch.equal(got.cpu().long(), want):
        raise AssertionError(f'NMS kept {got.numel()} boxes, torchvision {want.numel()} '
                             f'({len(set(got.tolist()) ^ set(want.tolist()))} differ)')
    return f'{want.numel()} of 500 boxes kept, identical'


def check_brs_loss(device: torch.device) -> str:
    """BRS loss forward + backward on ``device`` vs the same loss on the CPU in float64."""
    from brs_detr.ranking import rank_sort_loss
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(20_000, generator=gen, dtype=torch.float64)
    targets = torch.zeros_like(logits)
    targets[torch.randperm(20_000, generator=gen)[:60]] = torch.rand(60, generator=gen,
                                                                      dtype=torch.float64) * 0.9 + 0.1
    results = []
    for where, dtype in ((torch.device('cpu'), torch.float64), (device, torch.float32)):
        x = logits.to(where, dtype).detach().requires_grad_()
        ranking, sorting = rank_sort_loss(x, targets.to(where, dtype), delta=0.5, bucketed=True)
        (ranking + sorting).backward()
        results.append((torch.stack((ranking, sorting)), x.grad))
    diff = max(_close('BRS loss', results[1][0], results[0][0], 1e-5),
               _close('BRS gradient', results[1][1], results[0][1], 1e-6))
    return f'20,000 logits / 60 positives, forward + backward, max |diff| {diff:.1e}'


CHECKS = (Check('MultiScaleDeformableAttention', check_deform_attn),
          Check('RoIAlign', check_roi_align),
          Check('NMS', check_nms),
          Check('BRS loss', check_brs_loss))


def available_devices() -> List[str]:
    return ['cpu'] + [f'cuda:{i}' for i in range(torch.cuda.device_count())]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--devices', nargs='+', default=None,
                        help='default: the CPU and every visible GPU')
    args = parser.parse_args(argv)
    for line in versions():
        print(f'[check_env] {line}')
    failures = 0
    for device in map(torch.device, args.devices or available_devices()):
        for check in CHECKS:
            try:
                status, detail = 'ok', check.run(device)
            except Exception as error:  # report every failing check, not only the first
                status, detail = 'FAIL', f'{type(error).__name__}: {error}'
                failures += 1
            print(f'[check_env] {str(device):7s} {check.name:30s} {status:4s} {detail}', flush=True)
    print(f'[check_env] {"all checks passed" if not failures else f"{failures} check(s) FAILED"}')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
