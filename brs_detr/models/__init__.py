"""BRS-DETR's mmdet modules; importing this package registers them in ``mmdet.registry.MODELS``.

Ranking losses (BRS / RS / BAP / AP) and the heads of Co-DETR trained with them (thesis Sec. 3.5).
"""
from .dense_heads import (BRSATSSHead, BRSCoATSSHead, BRSCoDeformDETRHead, BRSPAAHead,
                          BRSRetinaHead, BRSRPNHead)
from .losses import APLoss, RankSortLoss
from .roi_heads import BRSShared2FCBBoxHead

__all__ = [
    'APLoss', 'BRSATSSHead', 'BRSCoATSSHead', 'BRSCoDeformDETRHead', 'BRSPAAHead', 'BRSRetinaHead',
    'BRSRPNHead', 'BRSShared2FCBBoxHead',
    'RankSortLoss'
]
