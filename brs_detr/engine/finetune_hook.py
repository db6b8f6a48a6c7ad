"""Fine-tuning from a checkpoint with other classes: say which tensors keep their initial values.

``load_from`` a COCO checkpoint (80 classes) into a model for another class count loads every
tensor except the classifiers, whose shapes differ; mmengine only logs a "size mismatch" among
hundreds of lines. This hook drops those tensors from the checkpoint before it is loaded and prints
one line naming them and their shapes (checkpoint -> model), so they stay as initialised.
"""
from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class FineTuneLoadHook(Hook):
    """On ``load_from`` (not on resume), leave tensors of another shape at their initial values."""

    priority = "VERY_HIGH"

    def __init__(self):
        self.reinitialised: list[tuple[str, tuple, tuple]] = []

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if runner.cfg.get("resume") or "state_dict" not in checkpoint:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        own = model.state_dict()
        state = checkpoint["state_dict"]
        self.reinitialised = [(k, tuple(v.shape), tuple(own[k].shape)) for k, v in state.items()
                              if k in own and tuple(v.shape) != tuple(own[k].shape)]
        for key, _, _ in self.reinitialised:
            del state[key]
        if self.reinitialised:
            shown = ", ".join(f"{k} {list(a)}->{list(b)}" for k, a, b in self.reinitialised)
            print_log(f"fine-tuning: {len(self.reinitialised)} tensors of the checkpoint do not fit "
                      f"this model (other classes?) and keep their initial values: {shown}",
                      logger="current", level=30)
