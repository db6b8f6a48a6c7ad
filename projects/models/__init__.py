"""Co-DETR modules, registered in ``mmdet.registry.MODELS`` on import."""
from .aux_positives import AuxPositives
from .co_atss_head import AtssTargets, CoATSSHead, atss_forward_without_centerness
from .co_deformable_detr_head import AuxQueries, CoDeformDETRHead
from .co_detr import CoDETR
from .co_roi_head import CoStandardRoIHead
from .transformer import CoDeformableDetrTransformer

__all__ = [
    'AuxPositives', 'AtssTargets', 'AuxQueries', 'CoATSSHead', 'CoDeformDETRHead', 'CoDETR',
    'CoStandardRoIHead', 'CoDeformableDetrTransformer', 'atss_forward_without_centerness'
]
