"""Timing helpers shared by the benchmarks: synchronised wall-clock times and a count of the
host-device synchronisations a CUDA step makes (``torch.cuda.set_sync_debug_mode``)."""
import time
import warnings
from typing import Callable, Optional

import torch


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], device: torch.device) -> float:
    """Seconds one call of ``fn`` takes, the device's queued work included."""
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def count_syncs(fn: Callable[[], object], device: torch.device) -> Optional[int]:
    """Host-device synchronisations during one call of ``fn`` on a CUDA device (each one torch's
    sync debug mode warns about: ``.item()``, ``nonzero``, a tensor's value read on the host...);
    None on other devices, which have nothing to synchronise."""
    if device.type != "cuda":
        return None
    synchronize(device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fn()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message).lower() for w in caught)
