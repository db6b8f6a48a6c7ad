"""Datasets shipped with BRS-DETR and class names given once in a config. The 6-class photos set
(``photos_dataset``, ``python -m brs_detr.data.photos_dataset``) and the dataset that reports bad
annotations (``annotation_checks``, needs mmdet) are imported directly."""
from .class_names import ClassCountError, apply_class_names, check_class_counts
from .demo_dataset import VOC_CLASSES, prepare_demo_dataset

__all__ = ["ClassCountError", "VOC_CLASSES", "apply_class_names", "check_class_counts", "prepare_demo_dataset"]
