"""mmdet registration of the AP loss: bucketed (BAP) or original (AP)."""
from torch import Tensor

from mmdet.registry import MODELS

from brs_detr.ranking import ap_loss
from .ranking_loss import RankingLoss


@MODELS.register_module()
class APLoss(RankingLoss):
    """AP Loss with Identity Update (Sec. 3.1.4, Eq. 3.10) of one flattened ranking problem.

    ``bucketed=True`` is the Bucketed AP Loss (BAP, Sec. 3.3.1.1); ``bucketed=False`` the original.
    delta = 1.0 by default, as the AP and BAP papers use it. Positives' targets only mark them
    positive: AP Loss has no sorting term.
    """

    def __init__(self, delta: float = 1.0, bucketed: bool = True, loss_weight: float = 1.0,
                 use_sigmoid: bool = True) -> None:
        super().__init__(delta=delta, bucketed=bucketed, loss_weight=loss_weight,
                         use_sigmoid=use_sigmoid)

    def ranking_loss(self, logits: Tensor, targets: Tensor) -> Tensor:
        return ap_loss(logits, targets, delta=self.delta, bucketed=self.bucketed)
