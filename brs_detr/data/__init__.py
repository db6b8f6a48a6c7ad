"""Datasets shipped with BRS-DETR: the small real demo set used by the tiny configs and the tests."""
from .demo_dataset import VOC_CLASSES, prepare_demo_dataset

__all__ = ["VOC_CLASSES", "prepare_demo_dataset"]
