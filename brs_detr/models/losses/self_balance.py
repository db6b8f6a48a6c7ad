"""Self-balancing of the localisation losses against the ranking loss (RS Loss, thesis Eq. 3.56)."""
import torch
from torch import Tensor


def self_balance_weight(loss: Tensor, reference: Tensor) -> Tensor:
    """lambda = reference / loss on detached values (lambda_bbox = L_BRS / L_bbox, lambda_IoU =
    L_BRS / L_IoU, Eq. 3.56); 0 when the loss is 0 (no positives), which adds nothing."""
    value = loss.detach()
    ratio = reference.detach() / torch.where(value > 0, value, torch.ones_like(value))
    return torch.where(value > 0, ratio, torch.zeros_like(ratio))


def self_balance(loss: Tensor, reference: Tensor) -> Tensor:
    """``lambda * loss`` with the self-balancing weight of :func:`self_balance_weight`.

    Its value equals ``reference`` and its gradient is ``reference / loss`` times the loss's own, so
    a configured weight of ``loss`` cancels: the ranking loss sets the scale, recomputed each step.
    """
    return loss * self_balance_weight(loss, reference)


def max_score_weights(pos_cls_scores: Tensor) -> Tensor:
    """Per-positive localisation weights of RS-style heads: each positive's largest class-wise
    sigmoid score, detached (RS Loss' localisation weighting, kept by the authors' aux heads)."""
    return pos_cls_scores.detach().sigmoid().max(dim=-1).values
