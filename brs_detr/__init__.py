"""BRS-DETR: Co-DETR trained with the Bucketed Rank & Sort loss.

`brs_detr.ranking` holds the loss core and imports only torch; `brs_detr.models` registers the
mmdet wrappers and heads (importing it needs mmdet).
"""
__version__ = "0.1.0"
