"""Base of the mmdet-registered ranking losses: class-wise sigmoid scoring and input checks."""
import torch
import torch.nn as nn
from torch import Tensor


class RankingLoss(nn.Module):
    """A ranking-based classification loss over one flattened ranking problem (thesis Sec. 3.5).

    Heads build the problem with :func:`flat_ranking_problem` (logits of all (prediction, class)
    pairs of the batch, targets 0 for negatives and the IoU for positives) and call
    ``loss(logits, targets)``. Ranking losses score every class with its own sigmoid, so a head
    using one has ``num_classes`` logits and no background logit; ``custom_cls_channels`` and
    ``get_activation`` tell mmdet's ``BBoxHead`` exactly that (the Seesaw-loss hooks).

    Args:
        delta (float): Width of the smoothed step function H (Eq. 3.2).
        bucketed (bool): True for the bucketed loss (Alg. 2), False for the original one (Alg. 1).
        loss_weight (float): Multiplies the loss.
        use_sigmoid (bool): Must be True; accepted because mmdet heads read it from ``loss_cls``.
    """

    custom_cls_channels = True
    custom_activation = True
    custom_accuracy = False

    def __init__(self, delta: float, bucketed: bool = True, loss_weight: float = 1.0,
                 use_sigmoid: bool = True) -> None:
        super().__init__()
        if not use_sigmoid:
            raise ValueError(f'{type(self).__name__}: ranking losses score classes with '
                             'sigmoids; use_sigmoid=False is not supported')
        if delta < 0:
            raise ValueError(f'{type(self).__name__}: delta must be >= 0, got {delta}')
        self.delta = float(delta)
        self.bucketed = bool(bucketed)
        self.loss_weight = float(loss_weight)
        self.use_sigmoid = True

    def forward(self, logits: Tensor, targets: Tensor) -> Tensor:
        """Weighted loss of the ranking problem ``(logits, targets)``; both flat, same shape."""
        if not torch.is_floating_point(targets):
            raise TypeError(
                f'{type(self).__name__} takes (logits, IoU targets) of one flattened ranking '
                f'problem, got integer targets of shape {tuple(targets.shape)}: use it in a BRS '
                'head (brs_detr.models), which builds the problem with flat_ranking_problem')
        return self.loss_weight * self.ranking_loss(logits, targets)

    def ranking_loss(self, logits: Tensor, targets: Tensor) -> Tensor:
        """Unweighted loss; the one step each ranking loss defines."""
        raise NotImplementedError

    def get_cls_channels(self, num_classes: int) -> int:
        """One sigmoid logit per class, no background logit."""
        return num_classes

    def get_activation(self, cls_score: Tensor) -> Tensor:
        """Class-wise sigmoid scores plus a zero background column, the layout
        ``multiclass_nms`` expects."""
        scores = cls_score.sigmoid()
        return torch.cat([scores, scores.new_zeros(scores.shape[:-1] + (1, ))], dim=-1)

    def extra_repr(self) -> str:
        return f'delta={self.delta}, bucketed={self.bucketed}, loss_weight={self.loss_weight}'
