"""RoI heads trained with ranking losses."""
from .brs_bbox_head import BRSShared2FCBBoxHead

__all__ = ['BRSShared2FCBBoxHead']
