"""Evaluation metrics registered in mmdet's registry (imported by the tools)."""
from .coco_ap_metric import BACKENDS, SUMMARY_KEYS, CocoAPMetric, with_coco_backend

__all__ = ["BACKENDS", "SUMMARY_KEYS", "CocoAPMetric", "with_coco_backend"]
