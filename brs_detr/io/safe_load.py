"""Load checkpoints with torch's safe unpickler (``weights_only=True``), never the unsafe one.

mmengine's training checkpoints hold, beside tensors, its message hub's ``HistoryBuffer`` objects
(numpy arrays inside, and their statistics methods pickled as ``getattr(HistoryBuffer, "mean")``),
which ``weights_only=True`` rejects, so mmengine 0.10.7 cannot resume on torch >= 2.6. Rather than
turning safe loading off globally (``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``), exactly those globals are
allow-listed, only while our loader runs, and ``getattr`` only in a form restricted to
``HistoryBuffer``'s statistics methods (a free ``getattr`` would let a file reach arbitrary methods).
"""
from __future__ import annotations

import os
import pickle
from contextlib import contextmanager

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

_multiarray = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray


_STATISTICS = frozenset({"min", "max", "current", "mean"})


def history_buffer_method(owner, name: str):
    """``getattr`` as unpickled from mmengine checkpoints, limited to ``HistoryBuffer``'s statistics."""
    if owner is not HistoryBuffer or name not in _STATISTICS | set(HistoryBuffer._statistics_methods):
        raise pickle.UnpicklingError(f"refusing getattr({owner!r}, {name!r}) while unpickling: only "
                                     "HistoryBuffer statistics methods are allowed")
    return getattr(owner, name)


# Found by training a few iterations and listing
# torch.serialization.get_unsafe_globals_in_checkpoint(<work_dir>/epoch_1.pth).
MMENGINE_CHECKPOINT_GLOBALS = [
    HistoryBuffer,
    (history_buffer_method, "builtins.getattr"),
    np.ndarray,
    np.dtype,
    (_multiarray._reconstruct, f"{_multiarray.__name__}._reconstruct"),
    (_multiarray.scalar, f"{_multiarray.__name__}.scalar"),
    # numpy >= 1.25 pickles a dtype's state with its class (Float64DType for the logged values,
    # Int64DType for their counts); the plain numeric ones are allowed.
    *(type(np.dtype(t)) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                  np.uint16, np.uint32, np.uint64, np.float16, np.float32, np.float64)),
]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint pickles an object that is not on the allow-list."""


@contextmanager
def allow_mmengine_globals():
    """Allow-list, while the block runs, the globals mmengine stores in its checkpoints."""
    with torch.serialization.safe_globals(MMENGINE_CHECKPOINT_GLOBALS):
        yield


def load_checkpoint_safely(filename: str | os.PathLike, map_location=None):
    """``torch.load(weights_only=True)`` that also accepts mmengine's own checkpoint contents."""
    filename = os.path.expanduser(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError(f"{filename} can not be found.")
    try:
        with allow_mmengine_globals():
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f"{filename} pickles an object outside the allow-list "
            f"brs_detr.io.safe_load.MMENGINE_CHECKPOINT_GLOBALS, so it is not loaded: {err}") from err


def use_safe_checkpoint_loading() -> None:
    """Route mmengine's loading of local checkpoint files (resume, ``load_from``) through
    :func:`load_checkpoint_safely`; called by every tool before it builds its Runner."""
    CheckpointLoader.register_scheme(prefixes="", loader=load_checkpoint_safely, force=True)
