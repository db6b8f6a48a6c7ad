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
import re
import zipfile
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


class CorruptCheckpointError(ValueError):
    """A file that is not a whole PyTorch checkpoint: truncated, corrupt or another kind of file."""


_ZIP_MAGIC = b"PK\x03\x04"  # torch.save's default (zip) format
# torch's legacy format starts with its magic number pickled with protocol 2
_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


def check_checkpoint_file(filename: str | os.PathLike) -> None:
    """Refuse, without unpickling anything, a file that cannot be a whole checkpoint.

    Reads the header and, for the zip format, the zip directory at the end of the file (gone when
    the file was cut short). Raises FileNotFoundError or :class:`CorruptCheckpointError`.
    """
    filename = os.fspath(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError(f"checkpoint {filename} does not exist")
    size = os.path.getsize(filename)
    with open(filename, "rb") as f:
        head = f.read(len(_LEGACY_MAGIC))
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(filename) as archive:
                archive.infolist()
        except (zipfile.BadZipFile, OSError) as err:
            raise CorruptCheckpointError(f"{filename} is a truncated or corrupt checkpoint "
                                         f"({size} bytes, zip directory unreadable: {err})") from None
    elif head != _LEGACY_MAGIC:
        raise CorruptCheckpointError(f"{filename} is not a PyTorch checkpoint ({size} bytes, no "
                                     f"torch.save header; starts with {head[:8]!r}): corrupt, or "
                                     "another kind of file")


def _refused_object(err: Exception) -> str:
    """What torch's weights-only unpickler refused, without its advice to switch it off."""
    text = str(err)
    for pattern, shown in ((r"GLOBAL ([\w.]+)", "{}"), (r"refusing (getattr\([^)]*\))", "{}"),
                           (r"Unsupported operand (\d+)", "pickle operand {}")):
        match = re.search(pattern, text)
        if match:
            return shown.format(match.group(1))
    lines = [line for line in text.splitlines() if line.strip() and "weights_only" not in line
             and not line.startswith("Check the documentation")]
    return lines[0][:200] if lines else type(err).__name__


@contextmanager
def allow_mmengine_globals():
    """Allow-list, while the block runs, the globals mmengine stores in its checkpoints."""
    with torch.serialization.safe_globals(MMENGINE_CHECKPOINT_GLOBALS):
        yield


def load_checkpoint_safely(filename: str | os.PathLike, map_location=None):
    """``torch.load(weights_only=True)`` that also accepts mmengine's own checkpoint contents.

    A truncated or corrupt file raises :class:`CorruptCheckpointError`, a file pickling anything
    outside the allow-list :class:`UnsafeCheckpointError`; each names the file and the problem.
    """
    filename = os.path.expanduser(os.fspath(filename))
    check_checkpoint_file(filename)
    try:
        with allow_mmengine_globals():
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f"{filename} is refused: it pickles {_refused_object(err)}, which is outside the "
            "allow-list of torch.load(weights_only=True) plus brs_detr.io.safe_load."
            "MMENGINE_CHECKPOINT_GLOBALS; a file needing more than weights is not loaded") from None
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        raise CorruptCheckpointError(f"{filename} is a truncated or corrupt checkpoint "
                                     f"(torch.load: {str(err).splitlines()[0][:200]})") from None


def use_safe_checkpoint_loading() -> None:
    """Route mmengine's loading of local checkpoint files (resume, ``load_from``) through
    :func:`load_checkpoint_safely`; called by every tool before it builds its Runner."""
    CheckpointLoader.register_scheme(prefixes="", loader=load_checkpoint_safely, force=True)
