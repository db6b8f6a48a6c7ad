"""Dense heads trained with ranking losses."""
from .brs_atss_head import BRSATSSHead
from .brs_co_atss_head import BRSCoATSSHead
from .brs_co_deform_detr_head import BRSCoDeformDETRHead
from .brs_paa_head import BRSPAAHead
from .brs_retina_head import BRSRetinaHead
from .brs_rpn_head import BRSRPNHead
from .rank_based_dense_head import RankBasedDenseHeadMixin
from .without_quality_branch import WithoutQualityBranchMixin

__all__ = [
    'BRSATSSHead', 'BRSCoATSSHead', 'BRSCoDeformDETRHead', 'BRSPAAHead', 'BRSRPNHead',
    'BRSRetinaHead', 'RankBasedDenseHeadMixin', 'WithoutQualityBranchMixin'
]
