"""Our checkpoints load with torch's safe unpickler plus a narrow allow-list; the rest is refused."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from brs_detr.io.safe_load import (UnsafeCheckpointError, load_checkpoint_safely,
                                   use_safe_checkpoint_loading)


class _Evil:
    def __init__(self, target, args):
        self.target, self.args = target, args

    def __reduce__(self):
        return self.target, self.args


def test_training_checkpoint_needs_the_allow_list(tiny_checkpoint):
    with pytest.raises(pickle.UnpicklingError):
        torch.load(tiny_checkpoint, weights_only=True)  # torch's default refuses HistoryBuffer
    ckpt = load_checkpoint_safely(tiny_checkpoint)
    assert {"state_dict", "optimizer", "param_schedulers", "message_hub", "meta"} <= ckpt.keys()
    loss = ckpt["message_hub"]["log_scalars"]["train/loss"]
    assert isinstance(loss, HistoryBuffer) and loss.mean() > 0
    assert len(loss.data[0]) == ckpt["meta"]["iter"]  # one logged loss per training iteration
    # the allow-list applied only inside the call
    assert HistoryBuffer not in torch.serialization.get_safe_globals()


@pytest.mark.parametrize("payload", [
    _Evil(os.system, ("echo pwned",)),
    _Evil(getattr, (HistoryBuffer, "__init__")),  # allowed getattr form, but not a statistics method
    _Evil(getattr, (np.ndarray, "tofile")),  # np.ndarray is allowed, its file-writing method is not
], ids=["os.system", "getattr-other-method", "getattr-other-class"])
def test_pickled_code_is_refused(tmp_path, payload):
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {}, "meta": payload}, path)
    with pytest.raises(UnsafeCheckpointError, match="evil.pth"):
        load_checkpoint_safely(path)


def test_mmengine_loads_local_files_through_the_safe_loader(tiny_checkpoint, tmp_path):
    use_safe_checkpoint_loading()
    assert "state_dict" in CheckpointLoader.load_checkpoint(str(tiny_checkpoint))
    path = tmp_path / "evil.pth"
    torch.save({"meta": _Evil(os.system, ("echo pwned",))}, path)
    with pytest.raises(UnsafeCheckpointError):
        CheckpointLoader.load_checkpoint(str(path))
