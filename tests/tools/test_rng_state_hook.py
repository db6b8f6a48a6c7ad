"""RNG states round-trip through a checkpoint file that loads with plain weights_only=True."""
import random

import numpy as np
import torch

from brs_detr.engine.rng_state_hook import capture_rng_state, restore_rng_state


def _draw():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_state_survives_a_weights_only_checkpoint(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    _draw()
    torch.save({"rng_states": [capture_rng_state()]}, tmp_path / "ckpt.pth")
    expected = [_draw() for _ in range(3)]
    random.seed(7), np.random.seed(7), torch.manual_seed(7)  # what a resumed run's re-seeding does
    assert _draw() != expected[0]
    restore_rng_state(torch.load(tmp_path / "ckpt.pth", weights_only=True)["rng_states"][0])
    assert [_draw() for _ in range(3)] == expected
