"""Ranking-based classification losses of BRS-DETR (thesis chapter 3); imports only torch.

``rank_sort_loss`` (RS / Bucketed RS Loss) and ``ap_loss`` (AP / Bucketed AP Loss) take logits and
IoU targets of any shape and return losses whose backward is the Identity-Update gradient.
"""
from .functional import ap_loss, rank_sort_loss

__all__ = ["ap_loss", "rank_sort_loss"]
