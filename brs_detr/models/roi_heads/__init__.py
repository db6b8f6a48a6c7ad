"""RoI heads trained with ranking losses, and the sampler that keeps every proposal."""
from .all_proposals_sampler import AllProposalsSampler
from .brs_bbox_head import BRSShared2FCBBoxHead
from .brs_mask_head import BRSFCNMaskHead
from .brs_standard_roi_head import BRSStandardRoIHead

__all__ = ['AllProposalsSampler', 'BRSFCNMaskHead', 'BRSShared2FCBBoxHead', 'BRSStandardRoIHead']
