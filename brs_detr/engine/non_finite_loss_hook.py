"""Stop training at the first NaN/Inf loss, naming the iteration and the loss key.

A diverging run otherwise surfaces one or more iterations later, far from its cause (scipy's
"matrix contains invalid numeric entries" in the Hungarian matcher, a ValueError of the ranking
loss on NaN logits). The hook runs after every iteration, before mmengine's CheckpointHook, so the
step that produced the non-finite value is never saved: the previous checkpoint stays the last one.
"""
from __future__ import annotations

import math
import os.path as osp

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


class NonFiniteLossError(FloatingPointError):
    """A loss (or the gradient norm) became NaN or Inf."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise :class:`NonFiniteLossError` when a logged loss or the gradient norm is not finite."""

    priority = "ABOVE_NORMAL"  # before CheckpointHook (VERY_LOW) saves this iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        values = dict(outputs or {})
        grad_norm = runner.message_hub.get_scalar("train/grad_norm") \
            if "train/grad_norm" in runner.message_hub.log_scalars else None
        bad = [(k, v) for k, v in values.items() if not _finite(v)]
        if not bad and grad_norm is not None and not _finite(grad_norm.current()):
            bad = [("gradient norm", grad_norm.current())]
        if not bad:
            return
        # the summed `loss` is non-finite whenever one term is: name the term
        key, value = next(((k, v) for k, v in bad if k != "loss"), bad[0])
        raise NonFiniteLossError(
            f"{key} became {float(value)} at iteration {runner.iter + 1} (epoch {runner.epoch + 1});"
            f" training stopped, {_last_checkpoint(runner.work_dir)} left as it was")


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return True  # not a number (e.g. a logged string)


def _last_checkpoint(work_dir: str) -> str:
    pointer = osp.join(work_dir, "last_checkpoint")
    if osp.isfile(pointer):
        with open(pointer) as f:
            return f"the last checkpoint {f.read().strip()} is"
    return "no checkpoint was saved yet, nothing is"
