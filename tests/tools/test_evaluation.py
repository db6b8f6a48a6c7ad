"""COCO evaluation: AP..APl printed and written as JSON by tools/test.py; the faster-coco-eval
backend gives the pycocotools numbers."""
import json
import sys

import numpy as np
import pytest
import torch
from tool_helpers import free_port, run, run_tool, tool_env

from brs_detr.data import VOC_CLASSES
from brs_detr.evaluation import SUMMARY_KEYS, CocoAPMetric, with_coco_backend


def _noisy_detections(coco, seed=0):
    """Per ground-truth box: two jittered copies (right class) and one of a random class."""
    rng = np.random.default_rng(seed)
    for img in coco["images"]:
        boxes, labels, scores = [], [], []
        for ann in (a for a in coco["annotations"] if a["image_id"] == img["id"]):
            x, y, w, h = ann["bbox"]
            for copy in range(3):
                dx1, dy1, dx2, dy2 = rng.normal(0, 0.08 * max(w, h), 4)
                boxes.append([x + dx1, y + dy1, x + w + dx2, y + h + dy2])
                labels.append(ann["category_id"] - 1 if copy < 2 else int(rng.integers(20)))
                scores.append(float(rng.random()))
        yield img, dict(bboxes=torch.tensor(boxes, dtype=torch.float32), labels=torch.tensor(labels),
                        scores=torch.tensor(scores, dtype=torch.float32))


def _evaluate(demo_coco, backend):
    ann_file = str(demo_coco / "annotations.json")
    coco = json.loads((demo_coco / "annotations.json").read_text())
    metric = CocoAPMetric(ann_file=ann_file, backend=backend)
    metric.dataset_meta = dict(classes=VOC_CLASSES)
    for img, pred in _noisy_detections(coco):
        metric.process({}, [dict(img_id=img["id"], ori_shape=(img["height"], img["width"]),
                                 pred_instances=pred)])
    rounded = metric.evaluate(len(coco["images"]))
    return rounded, metric.summary["bbox"]


def test_faster_coco_eval_matches_pycocotools_on_the_demo_set(demo_coco):
    rounded_ref, ref = _evaluate(demo_coco, "pycocotools")
    rounded_fast, fast = _evaluate(demo_coco, "faster-coco-eval")
    assert list(ref) == list(SUMMARY_KEYS)
    assert 0.2 < ref["AP"] < 0.9 and ref["AP50"] > ref["AP75"]  # a non-trivial case
    assert fast == pytest.approx(ref, abs=1e-12)
    assert rounded_fast == rounded_ref and rounded_ref["coco/bbox_mAP"] == round(ref["AP"], 3)


def test_unknown_backend_is_named():
    with pytest.raises(ValueError, match="'cocoapi'"):
        with_coco_backend(dict(type="CocoMetric"), "cocoapi")
    cfg = with_coco_backend([dict(type="CocoMetric", ann_file="a.json"), dict(type="VOCMetric")],
                            "faster-coco-eval")
    assert cfg == [dict(type="CocoAPMetric", ann_file="a.json", backend="faster-coco-eval"),
                   dict(type="VOCMetric")]


@pytest.fixture(scope="module")
def reference(brs_tiny_config, tiny_checkpoint, tmp_path_factory):
    """tools/test.py with the default (pycocotools) backend: (stdout, JSON summary, work dir)."""
    work_dir = tmp_path_factory.mktemp("test_tool")
    proc = run_tool("tools/test.py", brs_tiny_config, tiny_checkpoint, "--work-dir", work_dir,
                    "--out", work_dir / "preds.pkl")
    return proc.stdout, json.loads((work_dir / "coco_metrics.json").read_text()), work_dir


def test_test_tool_prints_and_writes_the_ap_summary(reference):
    stdout, summary, work_dir = reference
    assert summary["backend"] == "pycocotools" and list(summary["bbox"]) == list(SUMMARY_KEYS)
    assert summary["bbox"]["AP50"] > 0  # a trained model: the comparisons below are not 0 == 0
    assert all(0.0 <= v <= 1.0 for v in summary["bbox"].values())
    line = "bbox: " + "  ".join(f"{k} {100 * v:.1f}" for k, v in summary["bbox"].items())
    assert line in stdout
    assert (work_dir / "preds.pkl").stat().st_size > 0


def test_test_tool_faster_backend_agrees(reference, brs_tiny_config, tiny_checkpoint, tmp_path):
    run_tool("tools/test.py", brs_tiny_config, tiny_checkpoint, "--work-dir", tmp_path,
             "--coco-backend", "faster-coco-eval")
    summary = json.loads((tmp_path / "coco_metrics.json").read_text())
    assert summary["backend"] == "faster-coco-eval"
    assert summary["bbox"] == pytest.approx(reference[1]["bbox"], abs=1e-12)


def test_two_process_evaluation_agrees(reference, brs_tiny_config, tiny_checkpoint, tmp_path):
    """tools/dist_test.sh: 2 CPU processes split the images; rank 0 gathers and writes the JSON."""
    env = tool_env(PYTHON=sys.executable, PORT=str(free_port()))
    run("bash", "tools/dist_test.sh", brs_tiny_config, tiny_checkpoint, 2, "--work-dir", tmp_path,
        "--cfg-options", f"test_evaluator.collect_dir={tmp_path / 'collect'}", env=env)
    summary = json.loads((tmp_path / "coco_metrics.json").read_text())
    assert summary["bbox"] == pytest.approx(reference[1]["bbox"], abs=1e-12)
