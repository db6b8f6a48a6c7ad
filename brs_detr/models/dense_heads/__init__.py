"""Dense heads trained with ranking losses."""
from .brs_co_atss_head import BRSCoATSSHead
from .brs_co_deform_detr_head import BRSCoDeformDETRHead
from .brs_rpn_head import BRSRPNHead

__all__ = ['BRSCoATSSHead', 'BRSCoDeformDETRHead', 'BRSRPNHead']
