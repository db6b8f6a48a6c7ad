"""The bucketed loss reads few values back to the host: each read is a host-device synchronisation
on a GPU. Counted on the CPU at torch's dispatch level, where a value read (``.item()``, ``int()``,
``float()``) is ``_local_scalar_dense`` and a data-dependent size is ``nonzero``."""
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from brs_detr.ranking import ap_loss, rank_sort_loss

HOST_READS = {"aten._local_scalar_dense.default", "aten.nonzero.default"}


class HostReads(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.ops = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if str(func) in HOST_READS:
            self.ops.append(str(func))
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("loss", [rank_sort_loss, ap_loss])
def test_bucketed_loss_reads_the_positive_count_and_one_grid_size(loss):
    """The positives' indices (their count sizes every later step) and the fullest grid cell (the
    number of comparison rows); the input checks read their four extrema in one ``.tolist()``,
    which is not a dispatched op and so not counted here."""
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(50_000, generator=gen)
    targets = torch.zeros(50_000)
    targets[torch.randperm(50_000, generator=gen)[:40]] = 0.5
    x = logits.requires_grad_()
    reads = HostReads()
    with reads:
        out = loss(x, targets, bucketed=True)
        sum(out if isinstance(out, tuple) else (out, )).backward()
    assert sorted(reads.ops) == ["aten._local_scalar_dense.default", "aten.nonzero.default"]
