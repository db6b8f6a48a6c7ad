"""Save every rank's random-number-generator states in checkpoints and restore them on resume.

mmengine re-seeds a resumed run from its config seed, so the python/numpy/torch generators that drive
data augmentation (RandomFlip, RandomChoiceResize), samplers and dropout restart from the seed
instead of continuing where the crashed run stopped; the resumed run then trains on different
augmentations than an uninterrupted one. This hook stores the generators' states next to the model
and optimizer, so a resume continues the very same random stream.

Data-loader workers keep generators of their own: non-persistent workers are re-seeded by mmengine
every epoch (so resuming from an epoch checkpoint stays exact), persistent ones continue their
streams across epochs, which no checkpoint captures.
"""
from __future__ import annotations

import random

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS

CHECKPOINT_KEY = "rng_states"


def capture_rng_state() -> dict:
    """This process' generator states as plain tensors and tuples (loadable with weights_only=True)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=(kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(gauss)),
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Checkpoints hold one RNG state per rank; a resumed rank restores its own before training.

    Only rank 0 runs ``before_save_checkpoint``, so the states are gathered from every rank after
    each iteration (a few kB; before CheckpointHook, which has priority VERY_LOW, saves).
    """

    priority = "LOW"

    def __init__(self):
        self._latest: list | None = None
        self._loaded: list | None = None

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._latest = all_gather_object(capture_rng_state())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = self._latest or [capture_rng_state()]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get(CHECKPOINT_KEY)

    def before_train(self, runner) -> None:
        # Applied here, after mmengine's own re-seeding on resume; a plain `load_from` (iter 0,
        # e.g. fine-tuning) keeps the fresh seed.
        if self._loaded is None or runner.iter == 0:
            return
        if len(self._loaded) != get_world_size():
            print_log(f"checkpoint has RNG states of {len(self._loaded)} ranks, this run has "
                      f"{get_world_size()}: random streams restart from the seed", logger="current",
                      level=30)
        else:
            restore_rng_state(self._loaded[get_rank()])
        self._loaded = None
