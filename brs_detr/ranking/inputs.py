"""Checks and dtype rules shared by the ranking losses."""
import math

import torch

SUPPORTED_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype the losses compute in: at least float32 (float64 stays float64)."""
    return torch.promote_types(dtype, torch.float32)


def check_inputs(logits: torch.Tensor, targets: torch.Tensor, delta: float) -> None:
    """Raise a ValueError naming the problem when the inputs cannot define a ranking problem.

    ``logits`` must be a finite float tensor; ``targets`` (same shape and device) holds 0 for a
    negative and the IoU in (0, 1] for a positive (Sec. 3.1.5); ``delta`` is the finite,
    non-negative width of the smoothed step (Eq. 3.2).
    """
    if not isinstance(logits, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise ValueError(
            f"logits and targets must be tensors, got {type(logits).__name__} and "
            f"{type(targets).__name__}")
    if logits.dtype not in SUPPORTED_DTYPES:
        raise ValueError(f"logits must be float16, bfloat16, float32 or float64, got {logits.dtype}")
    if logits.shape != targets.shape:
        raise ValueError(
            f"logits and targets must have the same shape, got logits {tuple(logits.shape)} and "
            f"targets {tuple(targets.shape)}")
    if logits.device != targets.device:
        raise ValueError(
            f"logits and targets must be on the same device, got {logits.device} and {targets.device}")
    if targets.dtype.is_complex:
        raise ValueError(f"targets must be real, got {targets.dtype}")
    if not isinstance(delta, (int, float)) or not math.isfinite(delta) or delta < 0:
        raise ValueError(f"delta must be a finite number >= 0, got {delta!r}")
    if logits.numel() == 0:
        return
    # One min/max pass each (NaN propagates to both, so it fails the tests below too), read on
    # the host together: one device synchronisation.
    extrema = list(torch.aminmax(logits.detach()))
    if targets.dtype != torch.bool:
        extrema += list(torch.aminmax(targets.detach()))
    values = torch.stack([v.double() for v in extrema]).tolist()
    if not (math.isfinite(values[0]) and math.isfinite(values[1])):
        raise ValueError("logits contain NaN or Inf")
    if targets.dtype == torch.bool:
        return
    low, high = values[2:]
    if not (low >= 0 and high <= 1):
        raise ValueError("targets must lie in [0, 1] (0: negative, IoU in (0, 1]: positive); "
                         "found a value outside it or NaN")
