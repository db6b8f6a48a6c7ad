"""A ranking loss that remembers every ranking problem it is given (for tests)."""
from typing import List, Tuple

from torch import Tensor

from brs_detr.models.losses import RankSortLoss


class RecordingRankSortLoss(RankSortLoss):
    """RankSortLoss that keeps a detached copy of each (logits, targets) it ranks and of the loss
    it returns."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.problems: List[Tuple[Tensor, Tensor]] = []
        self.outputs: List[Tensor] = []

    def forward(self, logits: Tensor, targets: Tensor) -> Tensor:
        self.problems.append((logits.detach().clone(), targets.detach().clone()))
        loss = super().forward(logits, targets)
        self.outputs.append(loss.detach().clone())
        return loss


def record_ranking_problems(model) -> List[RecordingRankSortLoss]:
    """Swap every RankSortLoss of ``model`` for a recording copy with the same settings."""
    recorders = []
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if type(child) is RankSortLoss:
                recorder = RecordingRankSortLoss(delta=child.delta, bucketed=child.bucketed,
                                                 loss_weight=child.loss_weight)
                setattr(module, name, recorder)
                recorders.append(recorder)
    return recorders
