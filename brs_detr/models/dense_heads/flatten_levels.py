"""Put a dense head's multi-level outputs and targets into one row per anchor of the batch."""
from typing import List

import torch
from torch import Tensor


def outputs_to_rows(level_outputs: List[Tensor], channels: int) -> Tensor:
    """(B, A_l * channels, H_l, W_l) per level -> (B * sum_l A_l H_l W_l, channels), image-major,
    anchors in the order of mmdet's ``images_to_levels`` targets."""
    batch = level_outputs[0].size(0)
    rows = [out.permute(0, 2, 3, 1).reshape(batch, -1, channels) for out in level_outputs]
    return torch.cat(rows, dim=1).reshape(-1, channels)


def targets_to_rows(level_targets: List[Tensor]) -> Tensor:
    """(B, N_l, ...) per level (mmdet ``images_to_levels`` layout) -> (B * sum_l N_l, ...)."""
    return torch.cat(level_targets, dim=1).flatten(0, 1)
