"""mmdet's COCO metric with a selectable evaluation backend and a full-precision AP summary.

``backend='pycocotools'`` (default) is the reference; ``backend='faster-coco-eval'`` runs the same
protocol in faster-coco-eval's C++ evaluator, which gives the same numbers several times faster on
COCO val. Everything else (result conversion, parameters, logging, rounded ``bbox_mAP`` keys that
hooks such as ``save_best`` read) is mmdet's ``CocoMetric``.
"""
from __future__ import annotations

from contextlib import contextmanager

from mmdet.evaluation.metrics import CocoMetric
from mmdet.evaluation.metrics import coco_metric as _mmdet_coco_metric
from mmdet.registry import METRICS
from mmengine.logging import MMLogger

SUMMARY_KEYS = ("AP", "AP50", "AP75", "APs", "APm", "APl")  # COCOeval.stats[:6]
BACKENDS = ("pycocotools", "faster-coco-eval")


def _faster_coco_eval(coco_gt, coco_dt, iou_type):
    """faster-coco-eval's evaluator on copies of the (pycocotools) gt and detection sets."""
    from faster_coco_eval import COCO, COCOeval_faster

    gt = COCO(coco_gt.dataset, use_deepcopy=True)
    dt = gt.loadRes(coco_dt.dataset["annotations"])
    return COCOeval_faster(gt, dt, iou_type, print_function=print)


@METRICS.register_module()
class CocoAPMetric(CocoMetric):
    """``CocoMetric`` + ``backend`` choice (and mmengine's ``collect_dir``, which ``CocoMetric`` does
    not pass on); ``self.summary`` holds AP..APl per metric, unrounded."""

    def __init__(self, *args, backend: str = "pycocotools", collect_dir: str | None = None, **kwargs):
        if backend not in BACKENDS:
            raise ValueError(f"CocoAPMetric: backend must be one of {BACKENDS}, got {backend!r}")
        super().__init__(*args, **kwargs)
        self.backend = backend
        # where ranks exchange results in multi-process CPU evaluation (mmengine: ./.dist_test)
        self.collect_dir = collect_dir
        self.summary: dict[str, dict[str, float]] = {}

    def compute_metrics(self, results: list) -> dict:
        evaluators = []
        with self._evaluator_recorded(evaluators):
            eval_results = super().compute_metrics(results)
        for iou_type, evaluator in evaluators:
            if iou_type in ("bbox", "segm") and len(evaluator.stats) >= 6:
                self.summary[iou_type] = dict(zip(SUMMARY_KEYS, map(float, evaluator.stats[:6])))
                line = "  ".join(f"{k} {v:.4f}" for k, v in self.summary[iou_type].items())
                MMLogger.get_current_instance().info(f"{iou_type} ({self.backend}): {line}")
        return eval_results

    @contextmanager
    def _evaluator_recorded(self, evaluators: list):
        """Make mmdet's metric build its evaluator with our backend, and keep each one built.

        mmdet's ``compute_metrics`` constructs ``COCOeval`` from its module namespace in the middle of
        a long method with no hook for it, so that one name is swapped for the duration of the call.
        """
        make = _faster_coco_eval if self.backend == "faster-coco-eval" else _mmdet_coco_metric.COCOeval
        if self.use_mp_eval and self.backend != "pycocotools":
            raise ValueError("CocoAPMetric: use_mp_eval applies to the pycocotools backend only")

        def build(coco_gt, coco_dt, iou_type):
            evaluator = make(coco_gt, coco_dt, iou_type)
            evaluators.append((iou_type, evaluator))
            return evaluator

        original = _mmdet_coco_metric.COCOeval
        _mmdet_coco_metric.COCOeval = build
        try:
            yield
        finally:
            _mmdet_coco_metric.COCOeval = original


def with_coco_backend(evaluator_cfg, backend: str):
    """An evaluator config (dict or list) whose ``CocoMetric`` entries become ``CocoAPMetric``."""
    if backend not in BACKENDS:
        raise ValueError(f"COCO backend must be one of {BACKENDS}, got {backend!r}")
    if isinstance(evaluator_cfg, (list, tuple)):
        return [with_coco_backend(c, backend) for c in evaluator_cfg]
    if evaluator_cfg.get("type") in ("CocoMetric", "mmdet.CocoMetric", "CocoAPMetric"):
        return {**evaluator_cfg, "type": "CocoAPMetric", "backend": backend}
    return evaluator_cfg
