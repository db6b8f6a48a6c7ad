"""Co-DETR on MMDetection 3.3: the detector BRS-DETR builds on (thesis Sec. 3.5).

Importing ``projects.models`` registers the modules in ``mmdet.registry.MODELS``.
"""
