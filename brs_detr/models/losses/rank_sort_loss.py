"""mmdet registration of the Rank & Sort loss: bucketed (BRS) or original (RS)."""
from torch import Tensor

from mmdet.registry import MODELS

from brs_detr.ranking import rank_sort_loss
from .ranking_loss import RankingLoss


@MODELS.register_module()
class RankSortLoss(RankingLoss):
    """Ranking error + sorting error of one flattened ranking problem (Eq. 3.14-3.18).

    ``bucketed=True`` is the Bucketed RS Loss (BRS, Sec. 3.3.1.2, Alg. 2) that BRS-DETR uses in
    every head; ``bucketed=False`` is the original RS Loss (Alg. 1), the slow RS-DETR baseline.
    Both use delta = 0.5 by default, as the RS and BRS papers do.
    """

    def __init__(self, delta: float = 0.5, bucketed: bool = True, loss_weight: float = 1.0,
                 use_sigmoid: bool = True) -> None:
        super().__init__(delta=delta, bucketed=bucketed, loss_weight=loss_weight,
                         use_sigmoid=use_sigmoid)

    def ranking_loss(self, logits: Tensor, targets: Tensor) -> Tensor:
        ranking, sorting = rank_sort_loss(logits, targets, delta=self.delta,
                                          bucketed=self.bucketed)
        return ranking + sorting
