"""BRS-DETR's mmdet modules; importing this package registers them in ``mmdet.registry.MODELS``.

Ranking losses (BRS / RS / BAP / AP) and the heads of Co-DETR trained with them (thesis Sec. 3.5).
"""
from .dense_heads import (BRSATSSHead, BRSCoATSSHead, BRSCoDeformDETRHead, BRSPAAHead,
                          BRSRetinaHead, BRSRPNHead)
from .losses import APLoss, RankSortLoss
from .roi_heads import (AllProposalsSampler, BRSFCNMaskHead, BRSShared2FCBBoxHead,
                        BRSStandardRoIHead)

__all__ = [
    'APLoss', 'AllProposalsSampler', 'BRSATSSHead', 'BRSCoATSSHead', 'BRSCoDeformDETRHead',
    'BRSFCNMaskHead', 'BRSPAAHead', 'BRSRetinaHead', 'BRSRPNHead', 'BRSShared2FCBBoxHead',
    'BRSStandardRoIHead', 'RankSortLoss'
]
